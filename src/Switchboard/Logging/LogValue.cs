using System.Globalization;
using System.Text;

namespace Switchboard.Logging;

/// <summary>
/// How a value from a request (a model name, a path) may appear in a log: at most <see cref="MaxLength"/>
/// characters, and — in rendered text lines — with control characters escaped, so a value can neither forge a
/// line of its own nor flood the log. The JSON file escapes control characters by itself and only truncates.
/// </summary>
public static class LogValue
{
    public const int MaxLength = 512;
    private static readonly System.Buffers.SearchValues<char> NeedEscaping = System.Buffers.SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(c => (char)c), '\u007f', '\u2028', '\u2029', .. Enumerable.Range(0x80, 0x20).Select(c => (char)c)]);

    public static string? Truncate(string? value) =>
        value is null || value.Length <= MaxLength ? value : string.Concat(value.AsSpan(0, MaxLength), $"…(+{value.Length - MaxLength} chars)");

    public static void AppendClean(StringBuilder text, string? value)
    {
        if (value is null) return;
        var shown = value.AsSpan(0, Math.Min(value.Length, MaxLength));
        if (shown.IndexOfAny(NeedEscaping) < 0)
        {
            text.Append(shown);    // the usual value: nothing to escape
            if (value.Length > MaxLength) text.Append("…(+").Append(value.Length - MaxLength).Append(" chars)");
            return;
        }
        foreach (var c in shown)
        {
            switch (c)
            {
                case '\n': text.Append("\\n"); break;
                case '\r': text.Append("\\r"); break;
                case '\t': text.Append("\\t"); break;
                case < ' ' or '\u007f' or '\u2028' or '\u2029' or (>= '\u0080' and <= '\u009f'):
                    text.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default: text.Append(c); break;
            }
        }
        if (value.Length > MaxLength) text.Append("…(+").Append(value.Length - MaxLength).Append(" chars)");
    }
}
