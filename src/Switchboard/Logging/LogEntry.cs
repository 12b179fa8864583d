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
    public string Message => _message ??= Format(Template, Properties);

    private static string Format(string template, IReadOnlyList<KeyValuePair<string, object?>> values)
    {
        if (values.Count == 0 || !template.Contains('{', StringComparison.Ordinal)) return template;
        var text = new StringBuilder(template.Length + 64);
        for (var i = 0; i < template.Length; i++)
        {
            var c = template[i];
            if ((c == '{' || c == '}') && i + 1 < template.Length && template[i + 1] == c)
            {
                text.Append(c);
                i++;
                continue;
            }
            var close = c == '{' ? template.IndexOf('}', i + 1) : -1;
            if (close < 0)
            {
                text.Append(c);
                continue;
            }
            var hole = template.AsSpan(i + 1, close - i - 1);
            var colon = hole.IndexOf(':');
            var name = colon < 0 ? hole : hole[..colon];
            object? value = null;
            foreach (var (key, v) in values)
            {
                if (name.SequenceEqual(key)) { value = v; break; }
            }
            LogValue.AppendClean(text, value switch
            {
                null => "(null)",
                IFormattable formattable => formattable.ToString(colon < 0 ? null : hole[(colon + 1)..].ToString(), CultureInfo.InvariantCulture),
                _ => value.ToString(),
            }, LogValue.LimitFor(value));
            i = close;
        }
        return text.ToString();
    }
}
