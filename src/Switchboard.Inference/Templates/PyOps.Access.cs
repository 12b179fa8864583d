namespace Switchboard.Inference.Templates;

/// <summary>Python's membership, len(), iteration, attribute, item and slice access.</summary>
internal static partial class PyOps
{
    public static bool Contains(object? container, object? item) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        string => throw new TemplateRuntimeException($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        IList<object?> list => list.Any(x => AreEqual(x, item)),
        PyDict dict => item is not null and not Undefined && dict.ContainsKey(item),
        Namespace ns => item is string key && ns.Attributes.ContainsKey(key),
        Undefined => false,
        _ => throw new TemplateRuntimeException($"argument of type '{TypeName(container)}' is not iterable"),
    };

    public static long Length(object? value) => value switch
    {
        string s => PyString.Length(s),
        System.Collections.ICollection c => c.Count,
        Undefined => 0,
        _ => throw new TemplateRuntimeException($"object of type '{TypeName(value)}' has no len()"),
    };

    /// <summary>What a for loop, <c>list</c> or <c>join</c> walks: list items, dict keys, string characters.</summary>
    public static IReadOnlyList<object?> Iterate(object? value) => value switch
    {
        IList<object?> list => list.ToList(),
        PyDict dict => dict.Keys.ToList<object?>(),
        string s => PyString.Chars(s).ToList<object?>(),
        Undefined => [],
        Namespace ns => ns.Attributes.Keys.ToList<object?>(),
        _ => throw new TemplateRuntimeException($"'{TypeName(value)}' object is not iterable"),
    };

    /// <summary><c>obj.name</c>: methods first (as Python's getattr), then items, else undefined.</summary>
    public static object? GetAttribute(object? target, string name)
    {
        switch (target)
        {
            case Undefined u:
                throw new TemplateRuntimeException($"{u.Describe()} (while looking up attribute '{name}')");
            case Namespace ns:
                return ns.Attributes.TryGetValue(name, out var nv) ? nv : new Undefined(name);
            case LoopContext loop:
                return loop.GetAttribute(name);
        }

        if (Methods.TryBind(target, name, out var method)) return method;
        if (target is PyDict dict && dict.TryGetValue(name, out var value)) return value;
        return new Undefined(name);
    }

    /// <summary><c>obj[key]</c>: items first, then attributes (methods), else undefined.</summary>
    public static object? GetItem(object? target, object? key)
    {
        switch (target)
        {
            case Undefined u:
                throw new TemplateRuntimeException($"{u.Describe()} (while looking up item {Repr(key)})");
            case PyDict dict when key is not null and not Undefined && dict.TryGetValue(key, out var value):
                return value;
            case IList<object?> list when key is long or bool:
                var index = AsLong(key);
                if (index < 0) index += list.Count;
                return index >= 0 && index < list.Count ? list[(int)index] : new Undefined($"[{key}]");
            case string s when key is long or bool:
                var chars = PyString.Chars(s);
                var i = AsLong(key);
                if (i < 0) i += chars.Count;
                return i >= 0 && i < chars.Count ? chars[(int)i] : new Undefined($"[{key}]");
        }

        return key is string name ? GetAttribute(target, name) : new Undefined($"[{Repr(key)}]");
    }

    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        static long? Bound(object? v) => v switch
        {
            null or Undefined => null,
            long l => l,
            bool b => b ? 1 : 0,
            _ => throw new TemplateRuntimeException("slice indices must be integers or None"),
        };

        var st = Bound(step) ?? 1;
        if (st == 0) throw new TemplateRuntimeException("slice step cannot be zero");
        IReadOnlyList<object?> items = target switch
        {
            string s => PyString.Chars(s),
            IList<object?> list => list.AsReadOnly(),
            Undefined u => throw new TemplateRuntimeException(u.Describe()),
            _ => throw new TemplateRuntimeException($"'{TypeName(target)}' object is not subscriptable"),
        };
        var n = items.Count;
        long Clamp(long? v, long low, long high, long fallback)
        {
            if (v is not { } x) return fallback;
            if (x < 0) x += n;
            return Math.Clamp(x, low, high);
        }

        var result = new List<object?>();
        if (st > 0)
        {
            for (var i = Clamp(Bound(start), 0, n, 0); i < Clamp(Bound(stop), 0, n, n); i += st) result.Add(items[(int)i]);
        }
        else
        {
            for (var i = Clamp(Bound(start), -1, n - 1, n - 1); i > Clamp(Bound(stop), -1, n - 1, -1); i += st) result.Add(items[(int)i]);
        }

        return target switch
        {
            string => string.Concat(result.Cast<string>()),
            object?[] => result.ToArray(),
            _ => result,
        };
    }
}
