using System.Globalization;
using System.Text;

namespace Switchboard.Logging;

/// <summary>Human-readable single lines on standard output, one write per batch.</summary>
public sealed class ConsoleSink : LogSink
{
    private readonly Stream _stdout = Console.OpenStandardOutput();
    private readonly StringBuilder _text = new();

    public override void Write(IReadOnlyList<LogEntry> batch)
    {
        _text.Clear();
        foreach (var entry in batch)
        {
            _text.Append(entry.Timestamp.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture))
                .Append(' ').Append(Level(entry.Level)).Append(": ").Append(entry.Category)
                .Append('[').Append(entry.EventId).Append("] ").Append(entry.Message).Append('\n');
            if (entry.Exception is not null) _text.Append(entry.Exception).Append('\n');
        }
        _stdout.Write(Encoding.UTF8.GetBytes(_text.ToString()));
        _stdout.Flush();
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        _ => "crit",
    };

    protected override void Dispose(bool disposing)
    {
        if (disposing) _stdout.Dispose();
        base.Dispose(disposing);
    }
}
