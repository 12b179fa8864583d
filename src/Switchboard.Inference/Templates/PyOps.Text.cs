using System.Globalization;
using System.Text;

namespace Switchboard.Inference.Templates;

/// <summary>Python's str() and repr(), which decide how every value is printed.</summary>
internal static partial class PyOps
{
    public static string ToStr(object? value) => value switch
    {
        null => "None",
        Undefined => "",
        string s => s,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        _ => Repr(value),
    };

    public static string Repr(object? value)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, value);
        return sb.ToString();
    }

    private static void AppendRepr(StringBuilder sb, object? value)
    {
        switch (value)
        {
            case string s:
                AppendStringRepr(sb, s);
                break;
            case object?[] tuple:
                sb.Append('(');
                AppendItems(sb, tuple);
                sb.Append(tuple.Length == 1 ? ",)" : ")");
                break;
            case List<object?> list:
                sb.Append('[');
                AppendItems(sb, list);
                sb.Append(']');
                break;
            case PyDict dict:
                sb.Append('{');
                var first = true;
                foreach (var (k, v) in dict)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    AppendRepr(sb, k);
                    sb.Append(": ");
                    AppendRepr(sb, v);
                }

                sb.Append('}');
                break;
            case Namespace ns:
                sb.Append("<Namespace ");
                AppendRepr(sb, ToDict(ns.Attributes));
                sb.Append('>');
                break;
            case ICallable f:
                sb.Append("<function ").Append(f.Name).Append('>');
                break;
            case LoopContext:
                sb.Append("<LoopContext>");
                break;
            default:
                sb.Append(ToStr(value));
                break;
        }
    }

    private static PyDict ToDict(Dictionary<string, object?> source)
    {
        var dict = new PyDict();
        foreach (var (k, v) in source) dict[k] = v;
        return dict;
    }

    private static void AppendItems(StringBuilder sb, IList<object?> items)
    {
        for (var i = 0; i < items.Count; i++)
        {
            if (i > 0) sb.Append(", ");
            AppendRepr(sb, items[i]);
        }
    }

    private static void AppendStringRepr(StringBuilder sb, string s)
    {
        var quote = s.Contains('\'', StringComparison.Ordinal) && !s.Contains('"', StringComparison.Ordinal) ? '"' : '\'';
        sb.Append(quote);
        foreach (var c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == quote) sb.Append('\\').Append(c);
                    else if (c < ' ' || c == '\x7f') sb.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }

        sb.Append(quote);
    }

    /// <summary>Python's repr of a float: shortest round-trip digits, always with a '.' or exponent.</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsInfinity(d)) return d > 0 ? "inf" : "-inf";
        var r = d.ToString("R", CultureInfo.InvariantCulture);
        var e = r.IndexOf('E', StringComparison.Ordinal);
        if (e < 0)
        {
            if (Math.Abs(d) >= 1e16) return FormatExponent(d);
            return r.Contains('.', StringComparison.Ordinal) ? r : r + ".0";
        }

        var exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        if (exponent is >= -4 and < 16)
        {
            var plain = d.ToString("0.###################", CultureInfo.InvariantCulture);
            if (double.Parse(plain, CultureInfo.InvariantCulture) == d) return plain.Contains('.', StringComparison.Ordinal) ? plain : plain + ".0";
        }

        return FormatExponent(d);
    }

    private static string FormatExponent(double d)
    {
        var r = d.ToString("E16", CultureInfo.InvariantCulture);
        for (var digits = 0; digits <= 16; digits++)
        {
            r = d.ToString("E" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
            if (double.Parse(r, CultureInfo.InvariantCulture) == d) break;
        }

        var e = r.IndexOf('E', StringComparison.Ordinal);
        var mantissa = r[..e];
        var exponent = int.Parse(r.AsSpan(e + 1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        return mantissa + "e" + (exponent < 0 ? "-" : "+") + Math.Abs(exponent).ToString("00", CultureInfo.InvariantCulture);
    }
}
