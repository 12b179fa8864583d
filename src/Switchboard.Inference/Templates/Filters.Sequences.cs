using System.Globalization;

namespace Switchboard.Inference.Templates;

/// <summary>Filters over lists: join, map, select/reject, sort, unique, min/max, sum, batch.</summary>
internal static partial class Filters
{
    private static string Join(object? v, CallArgs a)
    {
        var separator = a.Get(0, "d", "") as string ?? "";
        var attribute = a.Get(1, "attribute");
        var items = PyOps.Iterate(v);
        return string.Join(separator, items.Select(x => PyOps.ToStr(attribute is null ? x : Lookup(x, attribute))));
    }

    /// <summary>Jinja's attribute getter for filters: "a.b" walks items, integer parts index lists.</summary>
    private static object? Lookup(object? item, object? attribute)
    {
        if (attribute is not string path) return PyOps.GetItem(item, attribute);
        foreach (var part in path.Split('.'))
        {
            if (item is Undefined) return item;
            item = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var index) ? PyOps.GetItem(item, index) : PyOps.GetItem(item, part);
        }

        return item;
    }

    private static List<object?> Map(object? v, CallArgs a)
    {
        // Jinja's map and select skip falsy input, so `none | selectattr(...)` is empty rather than an error.
        var items = PyOps.IsTruthy(v) ? PyOps.Iterate(v) : [];
        if (a.Positional.Count == 0 && a.TryGet(-1, "attribute", out var attribute))
        {
            var hasDefault = a.TryGet(-1, "default", out var fallback);
            return items.Select(x => Lookup(x, attribute) is var found && found is Undefined && hasDefault ? fallback : found).ToList();
        }

        var name = Text(a.Get(0, null));
        var filter = Find(name) ?? throw new TemplateRuntimeException($"no filter named '{name}'");
        var rest = a.Skip(1);
        return items.Select(x => filter(x, rest)).ToList();
    }

    private static List<object?> Select(object? v, CallArgs a, bool expected, bool byAttribute)
    {
        var attribute = byAttribute ? a.Get(0, null) : null;
        var offset = byAttribute ? 1 : 0;
        TestFunction test = a.Positional.Count > offset
            ? Tests.Get(Text(a.Positional[offset]))
            : (x, _) => PyOps.IsTruthy(x);
        var rest = new CallArgs(a.Positional.Skip(offset + 1).ToList(), []);
        var items = PyOps.IsTruthy(v) ? PyOps.Iterate(v) : [];
        return items.Where(x => test(byAttribute ? Lookup(x, attribute) : x, rest) == expected).ToList();
    }

    private static object? SortKey(object? item, object? attribute, bool caseSensitive)
    {
        var key = attribute is null ? item : Lookup(item, attribute);
        return !caseSensitive && key is string s ? s.ToLowerInvariant() : key;
    }

    private static List<object?> Sort(object? v, CallArgs a)
    {
        var reverse = PyOps.IsTruthy(a.Get(0, "reverse", false));
        var caseSensitive = PyOps.IsTruthy(a.Get(1, "case_sensitive", false));
        var attribute = a.Get(2, "attribute");
        var comparer = Comparer<object?>.Create(PyOps.Compare);
        var items = PyOps.Iterate(v);
        return (reverse
            ? items.OrderByDescending(x => SortKey(x, attribute, caseSensitive), comparer)
            : items.OrderBy(x => SortKey(x, attribute, caseSensitive), comparer)).ToList();
    }

    private static List<object?> DictSort(object? v, CallArgs a)
    {
        if (v is not PyDict dict) throw new TemplateRuntimeException($"dictsort expects a mapping, got '{PyOps.TypeName(v)}'");
        var caseSensitive = PyOps.IsTruthy(a.Get(0, "case_sensitive", false));
        var byValue = (a.Get(1, "by", "key") as string) == "value";
        var reverse = PyOps.IsTruthy(a.Get(2, "reverse", false));
        var comparer = Comparer<object?>.Create(PyOps.Compare);
        var pairs = dict.Select(kv => new object?[] { kv.Key, kv.Value });
        pairs = reverse
            ? pairs.OrderByDescending(p => SortKey(p[byValue ? 1 : 0], null, caseSensitive), comparer)
            : pairs.OrderBy(p => SortKey(p[byValue ? 1 : 0], null, caseSensitive), comparer);
        return pairs.Select(p => (object?)p).ToList();
    }

    private static List<object?> Unique(object? v, CallArgs a)
    {
        var caseSensitive = PyOps.IsTruthy(a.Get(0, "case_sensitive", false));
        var attribute = a.Get(1, "attribute");
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (var item in PyOps.Iterate(v))
        {
            var key = SortKey(item, attribute, caseSensitive);
            if (seen.Any(s => PyOps.AreEqual(s, key))) continue;
            seen.Add(key);
            result.Add(item);
        }

        return result;
    }

    private static object? Extreme(object? v, CallArgs a, bool max)
    {
        var caseSensitive = PyOps.IsTruthy(a.Get(0, "case_sensitive", false));
        var attribute = a.Get(1, "attribute");
        var items = PyOps.Iterate(v);
        if (items.Count == 0) return new Undefined(max ? "max of empty sequence" : "min of empty sequence");
        var best = items[0];
        foreach (var item in items.Skip(1))
        {
            var c = PyOps.Compare(SortKey(item, attribute, caseSensitive), SortKey(best, attribute, caseSensitive));
            if (max ? c > 0 : c < 0) best = item;
        }

        return best;
    }

    private static object? Sum(object? v, CallArgs a)
    {
        var attribute = a.Get(0, "attribute");
        var total = a.Get(1, "start", 0L);
        foreach (var item in PyOps.Iterate(v)) total = PyOps.Arithmetic("+", total, attribute is null ? item : Lookup(item, attribute));
        return total;
    }

    private static List<object?> Batch(object? v, CallArgs a)
    {
        var size = (int)Int(a.Get(0, "linecount"));
        if (size <= 0) throw new TemplateRuntimeException("batch size must be positive");
        var hasFill = a.TryGet(1, "fill_with", out var fill) && fill is not null;
        var result = new List<object?>();
        List<object?>? current = null;
        foreach (var item in PyOps.Iterate(v))
        {
            current ??= [];
            current.Add(item);
            if (current.Count == size)
            {
                result.Add(current);
                current = null;
            }
        }

        if (current is not null)
        {
            while (hasFill && current.Count < size) current.Add(fill);
            result.Add(current);
        }

        return result;
    }
}
