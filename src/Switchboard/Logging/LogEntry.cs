using System.Globalization;
using System.Text;

namespace Switchboard.Logging;

/// <summary>
/// One log event as captured on the caller's thread: the message template and its values, not the formatted
/// text. Formatting happens once, later, on the background drain, so a request pays only for the capture.
/// </summary>
public sealed class LogEntry(DateTimeOffset timestamp, LogLevel level, string category, int eventId,
    string template, KeyValuePair<string, object?>[]? properties, string? exception)
{
    private string? _message;

    /// <summary>The message template, e.g. <c>{RequestId} {Endpoint} model={Model}</c>.</summary>
    public string Template { get; } = template;

    public DateTimeOffset Timestamp { get; } = timestamp;
    public LogLevel Level { get; } = level;
    public string Category { get; } = category;
    public int EventId { get; } = eventId;
    public IReadOnlyList<KeyValuePair<string, object?>> Properties { get; } = properties ?? [];
    public string? Exception { get; } = exception;

    /// <summary>The template with its <c>{Name}</c> holes filled in (values cleaned by <see cref="LogValue"/>); <c>{{</c> and <c>}}</c> are literal braces.</summary>
    public string Message => _message ??= Template.AsSpan().IndexOfAny('{', '}') < 0
        ? Template : AppendMessage(new StringBuilder(Template.Length + 64)).ToString();

    /// <summary>Appends <see cref="Message"/> to <paramref name="text"/> without building it as a string of its own.</summary>
    public StringBuilder AppendMessage(StringBuilder text)
    {
        if (_message is not null) return text.Append(_message);
        var template = Template;
        var values = Properties;
        Span<char> formatted = stackalloc char[64];
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c)
            {
                text.Append(c);
                i++;
                continue;
            }
            var close = c == '{' && values.Count > 0 ? template.IndexOf('}', i + 1) : -1;
            if (close < 0)
            {
                text.Append(c);
                continue;
            }
            var hole = template.AsSpan(i + 1, close - i - 1);
            var colon = hole.IndexOf(':');
            var name = colon < 0 ? hole : hole[..colon];
            object? value = null;
            // By index: a foreach over the interface would allocate an enumerator per hole.
            for (var k = 0; k < values.Count; k++)
            {
                if (name.SequenceEqual(values[k].Key)) { value = values[k].Value; break; }
            }
            var format = colon < 0 ? default : hole[(colon + 1)..];
            // Numbers and other span-formattable values are formatted in place: no string per value per line.
            if (value is ISpanFormattable spanFormattable && spanFormattable.TryFormat(formatted, out var written, format, CultureInfo.InvariantCulture))
            {
                LogValue.AppendClean(text, formatted[..written], LogValue.MaxLength);
            }
            else
            {
                var shown = value switch
                {
                    null => "(null)",
                    IFormattable formattable => formattable.ToString(colon < 0 ? null : format.ToString(), CultureInfo.InvariantCulture),
                    _ => value.ToString(),
                };
                LogValue.AppendClean(text, shown, LogValue.LimitFor(value));
            }
            i = close;
        }
        return text;
    }
}
