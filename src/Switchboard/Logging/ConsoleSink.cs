using System.Buffers;
using System.Globalization;
using System.Text;

namespace Switchboard.Logging;

/// <summary>Human-readable single lines on standard output, one write per batch.</summary>
public sealed class ConsoleSink : LogSink
{
    private readonly Stream _stdout = Console.OpenStandardOutput();
    private readonly StringBuilder _text = new();
    private readonly Encoder _utf8 = new UTF8Encoding(false).GetEncoder();

    public override void Write(IReadOnlyList<LogEntry> batch)
    {
        // One line per request at full load: lines are built in one reused builder and encoded chunk by chunk into a
        // pooled buffer, with no string per line, per message or per timestamp.
        _text.Clear();
        foreach (var entry in batch)
        {
            _text.Append(CultureInfo.InvariantCulture, $"{entry.Timestamp.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}")
                .Append(' ').Append(Level(entry.Level)).Append(": ").Append(entry.Category)
                .Append('[').Append(entry.EventId).Append("] ");
            entry.AppendMessage(_text).Append('\n');
            if (entry.Exception is not null) _text.Append(entry.Exception).Append('\n');
        }
        var bytes = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(_text.Length));
        try
        {
            var length = 0;
            foreach (var chunk in _text.GetChunks())
                length += _utf8.GetBytes(chunk.Span, bytes.AsSpan(length), flush: false);
            length += _utf8.GetBytes([], bytes.AsSpan(length), flush: true);
            _stdout.Write(bytes, 0, length);
            _stdout.Flush();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
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
