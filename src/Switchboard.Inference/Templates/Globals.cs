namespace Switchboard.Inference.Templates;

/// <summary>Global functions: Jinja's <c>range</c>, <c>namespace</c>, <c>dict</c> and Hugging Face's additions.</summary>
internal static class Globals
{
    private static readonly Dictionary<string, ICallable> Functions = new ICallable[]
    {
        new BuiltinFunction("raise_exception", a => throw new ChatTemplateException(PyOps.ToStr(a.Get(0, "message", "")))),
        new BuiltinFunction("strftime_now", a => Strftime.Format(DateTime.Now, PyOps.ToStr(a.Get(0, "format", "")))),
        new BuiltinFunction("range", Range),
        new BuiltinFunction("namespace", a =>
        {
            var ns = new Namespace();
            if (a.Positional.Count > 0 && a.Positional[0] is PyDict initial)
            {
                foreach (var (k, v) in initial) ns.Attributes[PyOps.ToStr(k)] = v;
            }

            foreach (var (k, v) in a.Named) ns.Attributes[k] = v;
            return ns;
        }),
        new BuiltinFunction("dict", a =>
        {
            var dict = new PyDict();
            if (a.Positional.Count > 0 && a.Positional[0] is PyDict initial)
            {
                foreach (var (k, v) in initial) dict[k] = v;
            }

            foreach (var (k, v) in a.Named) dict[k] = v;
            return dict;
        }),
    }.ToDictionary(f => f.Name, StringComparer.Ordinal);

    public static bool TryGet(string name, out object? value)
    {
        var found = Functions.TryGetValue(name, out var function);
        value = function;
        return found;
    }

    private static List<object?> Range(CallArgs a)
    {
        static long Int(object? v) => v switch
        {
            long l => l,
            bool b => b ? 1 : 0,
            _ => throw new TemplateRuntimeException($"range() expects integers, got '{PyOps.TypeName(v)}'"),
        };

        long start = 0, stop, step = 1;
        switch (a.Positional.Count)
        {
            case 1:
                stop = Int(a.Positional[0]);
                break;
            case 2 or 3:
                start = Int(a.Positional[0]);
                stop = Int(a.Positional[1]);
                if (a.Positional.Count == 3) step = Int(a.Positional[2]);
                break;
            default:
                throw new TemplateRuntimeException("range() expects 1 to 3 arguments");
        }

        if (step == 0) throw new TemplateRuntimeException("range() arg 3 must not be zero");
        var result = new List<object?>();
        for (var i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            if (result.Count >= 100_000) throw new TemplateRuntimeException("range() too large");
            result.Add(i);
        }

        return result;
    }
}
