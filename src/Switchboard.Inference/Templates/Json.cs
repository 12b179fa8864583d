using System.Globalization;
using System.Text;

namespace Switchboard.Inference.Templates;

/// <summary>
/// Python's <c>json.dumps</c>, which Hugging Face installs as <c>tojson</c>: ", " and ": " separators (","
/// when indenting), keys in insertion order, non-ASCII kept unless <c>ensure_ascii</c>.
/// </summary>
internal static class Json
{
    public sealed record Options(string? Indent, bool EnsureAscii, string ItemSeparator, string KeySeparator, bool SortKeys);

    public static string Dumps(object? value, Options options)
    {
        var sb = new StringBuilder();
        Write(sb, value, options, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value, Options o, int depth)
    {
        switch (value)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsInfinity(d) ? (d > 0 ? "Infinity" : "-Infinity") : PyOps.FormatFloat(d));
                break;
            case string s: WriteString(sb, s, o.EnsureAscii); break;
            case IList<object?> list:
                WriteContainer(sb, '[', ']', list.Count, o, depth, i => Write(sb, list[i], o, depth + 1));
                break;
            case PyDict dict:
                var entries = dict.ToList();
                if (o.SortKeys) entries.Sort((x, y) => PyOps.Compare(x.Key, y.Key));
                WriteContainer(sb, '{', '}', entries.Count, o, depth, i =>
                {
                    WriteString(sb, KeyString(entries[i].Key), o.EnsureAscii);
                    sb.Append(o.KeySeparator);
                    Write(sb, entries[i].Value, o, depth + 1);
                });
                break;
            case Undefined u:
                throw new TemplateRuntimeException($"{u.Describe()} (cannot serialise to JSON)");
            default:
                throw new TemplateRuntimeException($"Object of type {PyOps.TypeName(value)} is not JSON serializable");
        }
    }

    private static string KeyString(object key) => key switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        long or double => PyOps.ToStr(key),
        _ => throw new TemplateRuntimeException($"keys must be str, int, float, bool or None, not {PyOps.TypeName(key)}"),
    };

    private static void WriteContainer(StringBuilder sb, char open, char close, int count, Options o, int depth, Action<int> writeItem)
    {
        sb.Append(open);
        if (count == 0)
        {
            sb.Append(close);
            return;
        }

        for (var i = 0; i < count; i++)
        {
            if (i > 0) sb.Append(o.ItemSeparator);
            if (o.Indent is not null) NewLine(sb, o.Indent, depth + 1);
            writeItem(i);
        }

        if (o.Indent is not null) NewLine(sb, o.Indent, depth);
        sb.Append(close);
    }

    private static void NewLine(StringBuilder sb, string indent, int depth)
    {
        sb.Append('\n');
        for (var i = 0; i < depth; i++) sb.Append(indent);
    }

    private static void WriteString(StringBuilder sb, string s, bool ensureAscii)
    {
        sb.Append('"');
        foreach (var c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < ' ' || (ensureAscii && c > '\x7e')) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }

        sb.Append('"');
    }
}
