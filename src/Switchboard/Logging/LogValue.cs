using System.Globalization;
using System.Text;

namespace Switchboard.Logging;

/// <summary>Text logged at length on purpose (request bodies, with <c>Logging:LogContent</c>): kept up to <see cref="LogValue.LongMaxLength"/>.</summary>
public sealed record LongText(string Text)
{
    public override string ToString() => Text;
}

/// <summary>
/// How a value from a request (a model name, a path) may appear in a log: at most <see cref="MaxLength"/>
/// characters (<see cref="LongMaxLength"/> for a <see cref="LongText"/>), and — in rendered text lines — with
/// control characters escaped, so a value can neither forge a line of its own nor flood the log. The JSON file
/// escapes control characters by itself and only truncates.
/// </summary>
public static class LogValue
{
    public const int MaxLength = 512;
    public const int LongMaxLength = 64 * 1024;
    private static readonly System.Buffers.SearchValues<char> NeedEscaping = System.Buffers.SearchValues.Create(
        [.. Enumerable.Range(0, 0x20).Select(c => (char)c), '\u007f', '\u2028', '\u2029', .. Enumerable.Range(0x80, 0x20).Select(c => (char)c)]);

    /// <summary>The longest a logged value may be: <see cref="LongMaxLength"/> for a <see cref="LongText"/>, else <see cref="MaxLength"/>.</summary>
    public static int LimitFor(object? value) => value is LongText ? LongMaxLength : MaxLength;

    public static string? Truncate(string? value, int limit = MaxLength) =>
        value is null || value.Length <= limit ? value : string.Concat(value.AsSpan(0, limit), $"…(+{value.Length - limit} chars)");

    public static void AppendClean(StringBuilder text, string? value, int limit = MaxLength)
    {
        if (value is not null) AppendClean(text, value.AsSpan(), limit);
    }

    public static void AppendClean(StringBuilder text, ReadOnlySpan<char> value, int limit = MaxLength)
    {
        var shown = value[..Math.Min(value.Length, limit)];
        if (shown.IndexOfAny(NeedEscaping) < 0)
        {
            text.Append(shown);    // the usual value: nothing to escape
            if (value.Length > limit) text.Append("…(+").Append(value.Length - limit).Append(" chars)");
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
        if (value.Length > limit) text.Append("…(+").Append(value.Length - limit).Append(" chars)");
    }
}
