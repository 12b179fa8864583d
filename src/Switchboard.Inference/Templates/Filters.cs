using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Switchboard.Inference.Templates;

/// <summary>Jinja's built-in filters that chat templates use, plus Hugging Face's <c>tojson</c>.</summary>
internal static partial class Filters
{
    private static readonly Dictionary<string, Filter> Registry = new(StringComparer.Ordinal)
    {
        ["abs"] = (v, _) => v switch
        {
            long l => (object)Math.Abs(l),
            double d => (object)Math.Abs(d),
            bool b => b ? 1L : 0L,
            _ => throw new TemplateRuntimeException($"bad operand type for abs(): '{PyOps.TypeName(v)}'"),
        },
        ["attr"] = (v, a) => PyOps.GetAttribute(v, Text(a.Get(0, "name"))),
        ["batch"] = Batch,
        ["capitalize"] = (v, _) => PyString.Capitalize(PyOps.ToStr(v)),
        ["center"] = (v, a) => Center(PyOps.ToStr(v), (int)Int(a.Get(0, "width", 80L))),
        ["count"] = (v, _) => PyOps.Length(v),
        ["default"] = Default,
        ["d"] = Default,
        ["dictsort"] = DictSort,
        ["escape"] = (v, _) => Escape(v),
        ["e"] = (v, _) => Escape(v),
        ["forceescape"] = (v, _) => Escape(v),
        ["first"] = (v, _) => PyOps.Iterate(v) is { Count: > 0 } items ? items[0] : new Undefined("first item"),
        ["last"] = (v, _) => PyOps.Iterate(v) is { Count: > 0 } items ? items[^1] : new Undefined("last item"),
        ["float"] = ToFloat,
        ["from_json"] = (v, _) => FromJson(v),
        ["format"] = (v, a) => Formatting.Percent(PyOps.ToStr(v), a.Positional),
        ["indent"] = Indent,
        ["int"] = ToInt,
        ["items"] = (v, _) => v switch
        {
            PyDict d => d.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList(),
            Undefined => new List<object?>(),
            _ => throw new TemplateRuntimeException($"can only get item pairs from a mapping, not '{PyOps.TypeName(v)}'"),
        },
        ["join"] = Join,
        ["length"] = (v, _) => PyOps.Length(v),
        ["list"] = (v, _) => PyOps.Iterate(v).ToList(),
        ["lower"] = (v, _) => PyOps.ToStr(v).ToLowerInvariant(),
        ["upper"] = (v, _) => PyOps.ToStr(v).ToUpperInvariant(),
        ["map"] = Map,
        ["max"] = (v, a) => Extreme(v, a, max: true),
        ["min"] = (v, a) => Extreme(v, a, max: false),
        ["pprint"] = (v, _) => PyOps.Repr(v),
        ["reject"] = (v, a) => Select(v, a, expected: false, byAttribute: false),
        ["rejectattr"] = (v, a) => Select(v, a, expected: false, byAttribute: true),
        ["select"] = (v, a) => Select(v, a, expected: true, byAttribute: false),
        ["selectattr"] = (v, a) => Select(v, a, expected: true, byAttribute: true),
        ["replace"] = (v, a) => PyString.Replace(PyOps.ToStr(v), Text(a.Get(0, "old")), Text(a.Get(1, "new")), a.Get(2, "count") is long n ? n : -1),
        ["reverse"] = (v, _) => v switch
        {
            string s => string.Concat(PyString.Chars(s).AsEnumerable().Reverse()),
            _ => PyOps.Iterate(v).Reverse().ToList(),
        },
        ["round"] = Round,
        ["safe"] = (v, _) => v,
        ["sort"] = Sort,
        ["string"] = (v, _) => PyOps.ToStr(v),
        ["sum"] = Sum,
        ["title"] = (v, _) => TitleFilter(PyOps.ToStr(v)),
        ["tojson"] = ToJson,
        ["trim"] = (v, a) => PyString.Strip(PyOps.ToStr(v), a.Get(0, "chars") as string, true, true),
        ["unique"] = Unique,
        ["wordcount"] = (v, _) => (long)WordRegex().Count(PyOps.ToStr(v)),
    };

    public static Filter? Find(string name) => Registry.GetValueOrDefault(name);

    [GeneratedRegex(@"\w+")]
    private static partial Regex WordRegex();

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex WordBeginningRegex();

    private static string Text(object? value) => value as string
        ?? throw new TemplateRuntimeException($"expected a string argument, got '{PyOps.TypeName(value)}'");

    private static long Int(object? value) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new TemplateRuntimeException($"expected an integer argument, got '{PyOps.TypeName(value)}'"),
    };

    private static object? Default(object? v, CallArgs a)
    {
        var fallback = a.Get(0, "default_value", "");
        var boolean = PyOps.IsTruthy(a.Get(1, "boolean", false));
        return v is Undefined || (boolean && !PyOps.IsTruthy(v)) ? fallback : v;
    }

    private static string Escape(object? v)
    {
        var s = PyOps.ToStr(v);
        var sb = new StringBuilder(s.Length);
        foreach (var c in s)
        {
            sb.Append(c switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '"' => "&#34;",
                '\'' => "&#39;",
                _ => c.ToString(),
            });
        }

        return sb.ToString();
    }

    private static string Center(string s, int width)
    {
        if (s.Length >= width) return s;
        var total = width - s.Length;
        var left = (total / 2) + (total & width & 1);
        return new string(' ', left) + s + new string(' ', total - left);
    }

    private static string TitleFilter(string s) =>
        string.Concat(WordBeginningRegex().Split(s).Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p[1..].ToLowerInvariant()));

    /// <summary>Not a Jinja2 or transformers filter; vLLM and llama.cpp provide it and recent DeepSeek templates use it.</summary>
    private static object? FromJson(object? v)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(v as string ?? throw new TemplateRuntimeException($"from_json expects a string, got '{PyOps.TypeName(v)}'"));
            return ValueConverter.FromClr(document.RootElement);
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new TemplateRuntimeException($"from_json: invalid JSON: {e.Message}");
        }
    }

    private static object? ToInt(object? v, CallArgs a)
    {
        var fallback = a.Get(0, "default", 0L);
        switch (v)
        {
            case long:
                return v;
            case bool b:
                return b ? 1L : 0L;
            case double d:
                return double.IsFinite(d) ? (long)Math.Truncate(d) : fallback;
            case string s:
                var text = s.Trim().Replace("_", "", StringComparison.Ordinal);
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l)) return l;
                if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var f) && double.IsFinite(f)) return (long)Math.Truncate(f);
                return fallback;
            default:
                return fallback;
        }
    }

    private static object? ToFloat(object? v, CallArgs a) => v switch
    {
        long l => (double)l,
        double => v,
        bool b => b ? 1.0 : 0.0,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
        _ => a.Get(0, "default", 0.0),
    };

    private static object? Round(object? v, CallArgs a)
    {
        var precision = (int)Int(a.Get(0, "precision", 0L));
        var method = a.Get(1, "method", "common") as string;
        if (v is long or bool && method == "common") return v is bool b ? (b ? 1L : 0L) : v;
        if (!PyOps.IsNumber(v)) throw new TemplateRuntimeException($"round expects a number, got '{PyOps.TypeName(v)}'");
        var d = Convert.ToDouble(v, CultureInfo.InvariantCulture);
        var scale = Math.Pow(10, precision);
        return method switch
        {
            "common" => Math.Round(d, Math.Clamp(precision, 0, 15), MidpointRounding.ToEven),
            "ceil" => Math.Ceiling(d * scale) / scale,
            "floor" => Math.Floor(d * scale) / scale,
            _ => throw new TemplateRuntimeException("method must be common, ceil or floor"),
        };
    }

    private static string Indent(object? v, CallArgs a)
    {
        var width = a.Get(0, "width", 4L);
        var indentation = width is string w ? w : new string(' ', (int)Int(width));
        var first = PyOps.IsTruthy(a.Get(1, "first", false));
        var blank = PyOps.IsTruthy(a.Get(2, "blank", false));
        var lines = SplitLines(PyOps.ToStr(v) + "\n");
        string result;
        if (blank)
        {
            result = string.Join("\n" + indentation, lines);
        }
        else
        {
            var sb = new StringBuilder(lines[0]);
            foreach (var line in lines.Skip(1)) sb.Append('\n').Append(line.Length > 0 ? indentation + line : line);
            result = sb.ToString();
        }

        return first ? indentation + result : result;
    }

    internal static List<string> SplitLines(string s)
    {
        var lines = new List<string>();
        var start = 0;
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] is not ('\n' or '\r')) continue;
            lines.Add(s[start..i]);
            if (s[i] == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
            start = i + 1;
        }

        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    private static string ToJson(object? v, CallArgs a)
    {
        var indent = a.Get(0, "indent") switch
        {
            null => null,
            long n => new string(' ', (int)Math.Max(0, n)),
            string s => s,
            var other => throw new TemplateRuntimeException($"tojson indent must be an integer or string, got '{PyOps.TypeName(other)}'"),
        };
        var ensureAscii = PyOps.IsTruthy(a.Get(-1, "ensure_ascii", false));
        var (item, key) = a.Get(-1, "separators") switch
        {
            IList<object?> { Count: 2 } sep => (Text(sep[0]), Text(sep[1])),
            _ => (indent is null ? ", " : ",", ": "),
        };
        var sortKeys = PyOps.IsTruthy(a.Get(-1, "sort_keys", false));
        return Json.Dumps(v, new Json.Options(indent, ensureAscii, item, key, sortKeys));
    }
}
