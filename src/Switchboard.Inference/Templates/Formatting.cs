using System.Globalization;
using System.Text;

namespace Switchboard.Inference.Templates;

/// <summary>The common cases of Python's <c>"%s" % x</c> and <c>"{}".format(x)</c>.</summary>
internal static class Formatting
{
    public static string Percent(string format, IReadOnlyList<object?> args)
    {
        var sb = new StringBuilder();
        var next = 0;
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%')
            {
                sb.Append(format[i]);
                continue;
            }

            var j = i + 1;
            while (j < format.Length && (char.IsAsciiDigit(format[j]) || format[j] is '.' or '-' or '+' or ' ' or '0')) j++;
            if (j >= format.Length) throw new TemplateRuntimeException("incomplete format");
            var spec = format[(i + 1)..j];
            var conversion = format[j];
            i = j;
            if (conversion == '%')
            {
                sb.Append('%');
                continue;
            }

            if (next >= args.Count) throw new TemplateRuntimeException("not enough arguments for format string");
            var arg = args[next++];
            var precision = spec.IndexOf('.', StringComparison.Ordinal) is var dot and >= 0
                ? int.Parse(spec.AsSpan(dot + 1), CultureInfo.InvariantCulture)
                : 6;
            sb.Append(conversion switch
            {
                's' => PyOps.ToStr(arg),
                'r' => PyOps.Repr(arg),
                'd' or 'i' when PyOps.IsNumber(arg) => PyOps.ToStr(arg is double d ? (long)Math.Truncate(d) : arg is bool b ? (b ? 1L : 0L) : arg),
                'f' when PyOps.IsNumber(arg) => Convert.ToDouble(arg is bool b2 ? (b2 ? 1 : 0) : arg, CultureInfo.InvariantCulture)
                    .ToString("F" + precision.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
                _ => throw new TemplateRuntimeException($"unsupported format character '{conversion}'"),
            });
        }

        if (next < args.Count) throw new TemplateRuntimeException("not all arguments converted during string formatting");
        return sb.ToString();
    }

    public static string StrFormat(string format, CallArgs args)
    {
        var sb = new StringBuilder();
        var auto = 0;
        for (var i = 0; i < format.Length; i++)
        {
            var c = format[i];
            if (c == '}' && i + 1 < format.Length && format[i + 1] == '}')
            {
                sb.Append('}');
                i++;
                continue;
            }

            if (c != '{')
            {
                sb.Append(c);
                continue;
            }

            if (i + 1 < format.Length && format[i + 1] == '{')
            {
                sb.Append('{');
                i++;
                continue;
            }

            var close = format.IndexOf('}', i);
            if (close < 0) throw new TemplateRuntimeException("single '{' encountered in format string");
            var field = format[(i + 1)..close];
            i = close;
            var repr = field.EndsWith("!r", StringComparison.Ordinal);
            if (repr || field.EndsWith("!s", StringComparison.Ordinal)) field = field[..^2];
            if (field.Contains(':', StringComparison.Ordinal)) throw new TemplateRuntimeException("format specs in str.format are not supported");
            object? value;
            if (field.Length == 0) value = args.Get(auto++, null, Undefined.Anonymous);
            else if (int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out var index)) value = args.Get(index, null, Undefined.Anonymous);
            else value = args.Get(-1, field, Undefined.Anonymous);
            if (value is Undefined) throw new TemplateRuntimeException($"format field '{{{field}}}' has no argument");
            sb.Append(repr ? PyOps.Repr(value) : PyOps.ToStr(value));
        }

        return sb.ToString();
    }
}
