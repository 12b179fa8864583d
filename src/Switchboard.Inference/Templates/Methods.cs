namespace Switchboard.Inference.Templates;

/// <summary>The Python methods templates call on strings, dicts and lists (<c>content.strip()</c>, <c>d.get(k)</c>).</summary>
internal static class Methods
{
    public static bool TryBind(object? target, string name, out object? method)
    {
        Func<CallArgs, object?>? body = target switch
        {
            string s => StringMethod(s, name),
            PyDict d => DictMethod(d, name),
            List<object?> l => ListMethod(l, name),
            object?[] t => TupleMethod(t, name),
            _ => null,
        };
        method = body is null ? null : new BuiltinFunction($"{PyOps.TypeName(target)}.{name}", body);
        return body is not null;
    }

    private static string? OptString(CallArgs a, int index, string name) => a.Get(index, name) switch
    {
        null or Undefined => null,
        string s => s,
        var other => throw new TemplateRuntimeException($"expected a string argument, got '{PyOps.TypeName(other)}'"),
    };

    private static string Str(CallArgs a, int index, string name) =>
        OptString(a, index, name) ?? throw new TemplateRuntimeException($"missing string argument '{name}'");

    private static long Int(CallArgs a, int index, string name, long fallback) => a.Get(index, name) switch
    {
        null or Undefined => fallback,
        long l => l,
        bool b => b ? 1 : 0,
        var other => throw new TemplateRuntimeException($"expected an integer argument, got '{PyOps.TypeName(other)}'"),
    };

    private static bool Affix(string s, CallArgs a, bool start)
    {
        var arg = a.Get(0, null);
        IEnumerable<object?> options = arg is object?[] tuple ? tuple : [arg];
        foreach (var option in options)
        {
            if (option is not string affix) throw new TemplateRuntimeException($"{(start ? "startswith" : "endswith")} expects a string or tuple of strings");
            if (start ? s.StartsWith(affix, StringComparison.Ordinal) : s.EndsWith(affix, StringComparison.Ordinal)) return true;
        }

        return false;
    }

    private static Func<CallArgs, object?>? StringMethod(string s, string name) => name switch
    {
        "strip" => a => PyString.Strip(s, OptString(a, 0, "chars"), true, true),
        "lstrip" => a => PyString.Strip(s, OptString(a, 0, "chars"), true, false),
        "rstrip" => a => PyString.Strip(s, OptString(a, 0, "chars"), false, true),
        "split" => a => PyString.Split(s, OptString(a, 0, "sep"), Int(a, 1, "maxsplit", -1)),
        "rsplit" => a => PyString.RSplit(s, OptString(a, 0, "sep"), Int(a, 1, "maxsplit", -1)),
        "splitlines" => _ => Filters.SplitLines(s).ToList<object?>(),
        "startswith" => a => Affix(s, a, start: true),
        "endswith" => a => Affix(s, a, start: false),
        "upper" => _ => s.ToUpperInvariant(),
        "lower" => _ => s.ToLowerInvariant(),
        "title" => _ => PyString.Title(s),
        "capitalize" => _ => PyString.Capitalize(s),
        "replace" => a => PyString.Replace(s, Str(a, 0, "old"), Str(a, 1, "new"), Int(a, 2, "count", -1)),
        "find" => a => (long)s.IndexOf(Str(a, 0, "sub"), StringComparison.Ordinal),
        "rfind" => a => (long)s.LastIndexOf(Str(a, 0, "sub"), StringComparison.Ordinal),
        "count" => a => CountOccurrences(s, Str(a, 0, "sub")),
        "join" => a => string.Join(s, PyOps.Iterate(a.Get(0, null)).Select(x => x as string
            ?? throw new TemplateRuntimeException($"sequence item: expected str instance, {PyOps.TypeName(x)} found"))),
        "format" => a => Formatting.StrFormat(s, a),
        "isdigit" => _ => s.Length > 0 && s.All(char.IsDigit),
        "isalpha" => _ => s.Length > 0 && s.All(char.IsLetter),
        "isalnum" => _ => s.Length > 0 && s.All(char.IsLetterOrDigit),
        "isspace" => _ => s.Length > 0 && s.All(char.IsWhiteSpace),
        "islower" => _ => s.Any(char.IsLetter) && !s.Any(char.IsUpper),
        "isupper" => _ => s.Any(char.IsLetter) && !s.Any(char.IsLower),
        _ => null,
    };

    private static long CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0) return PyString.Length(s) + 1;
        long count = 0;
        for (var at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    private static Func<CallArgs, object?>? DictMethod(PyDict d, string name) => name switch
    {
        "items" => _ => d.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList(),
        "keys" => _ => d.Keys.ToList<object?>(),
        "values" => _ => d.Values.ToList(),
        "get" => a => a.Get(0, null) is { } key and not Undefined && d.TryGetValue(key, out var v) ? v : a.Get(1, "default"),
        "pop" => a =>
        {
            var key = a.Get(0, null);
            if (key is not null and not Undefined && d.Remove(key, out var v)) return v;
            return a.TryGet(1, "default", out var fallback) ? fallback : throw new TemplateRuntimeException($"KeyError: {PyOps.Repr(key)}");
        },
        "update" => a =>
        {
            if (a.Get(0, null) is PyDict other)
            {
                foreach (var (k, v) in other) d[k] = v;
            }

            foreach (var (k, v) in a.Named) d[k] = v;
            return null;
        },
        "copy" => _ =>
        {
            var copy = new PyDict();
            foreach (var (k, v) in d) copy[k] = v;
            return copy;
        },
        _ => null,
    };

    private static Func<CallArgs, object?>? ListMethod(List<object?> l, string name) => name switch
    {
        "append" => a =>
        {
            l.Add(a.Get(0, null));
            return null;
        },
        "extend" => a =>
        {
            l.AddRange(PyOps.Iterate(a.Get(0, null)));
            return null;
        },
        "pop" => a =>
        {
            if (l.Count == 0) throw new TemplateRuntimeException("pop from empty list");
            var index = Int(a, 0, "index", -1);
            if (index < 0) index += l.Count;
            if (index < 0 || index >= l.Count) throw new TemplateRuntimeException("pop index out of range");
            var item = l[(int)index];
            l.RemoveAt((int)index);
            return item;
        },
        "insert" => a =>
        {
            var index = Math.Clamp(Int(a, 0, "index", 0), -l.Count, l.Count);
            l.Insert((int)(index < 0 ? index + l.Count : index), a.Get(1, "object"));
            return null;
        },
        "copy" => _ => l.ToList(),
        _ => SequenceMethod(l, name),
    };

    private static Func<CallArgs, object?>? TupleMethod(object?[] t, string name) => SequenceMethod(t, name);

    private static Func<CallArgs, object?>? SequenceMethod(IList<object?> items, string name) => name switch
    {
        "index" => a =>
        {
            var wanted = a.Get(0, null);
            for (var i = 0; i < items.Count; i++)
            {
                if (PyOps.AreEqual(items[i], wanted)) return (long)i;
            }

            throw new TemplateRuntimeException($"{PyOps.Repr(wanted)} is not in list");
        },
        "count" => a => (long)items.Count(x => PyOps.AreEqual(x, a.Get(0, null))),
        _ => null,
    };
}
