using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Switchboard.Configuration;

namespace Switchboard.Logging;

/// <summary>
/// Structured JSON lines (timestamp, level, category, event id, template, properties) in <c>switchboard-yyyyMMdd[.N].log</c>: a new file each UTC day and whenever one passes
/// <see cref="LogOptions.MaxFileBytes"/>, keeping the newest <see cref="LogOptions.RetainedFiles"/>.
/// </summary>
public sealed class RollingFileSink(string directory, LogOptions options) : LogSink
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly ArrayBufferWriter<byte> _buffer = new(64 * 1024);
    private Utf8JsonWriter? _json;
    private FileStream? _file;
    private string? _day;
    private DateTime _dayStart, _dayEnd;
    private int _index;
    private static readonly JsonEncodedText[] LevelNames =
        Enum.GetValues<LogLevel>().Select(level => JsonEncodedText.Encode(level.ToString())).ToArray();

    public override void Write(IReadOnlyList<LogEntry> batch)
    {
        var json = _json ??= new Utf8JsonWriter(_buffer, WriterOptions);
        foreach (var entry in batch)
        {
            var at = entry.Timestamp.UtcDateTime;
            if (_file is null || at < _dayStart || at >= _dayEnd || _file.Position >= options.MaxFileBytes)
            {
                Flush();
                _dayStart = at.Date;
                _dayEnd = _dayStart.AddDays(1);
                Roll(_dayStart.ToString("yyyyMMdd", CultureInfo.InvariantCulture));
            }
            json.Reset();
            WriteEntry(json, entry);
            json.Flush();
            _buffer.Write("\n"u8);
            // Bytes still buffered count towards the size limit.
            if (_file!.Position + _buffer.WrittenCount >= options.MaxFileBytes) Flush();
        }
        Flush();
    }

    private static void WriteEntry(Utf8JsonWriter json, LogEntry entry)
    {
        json.WriteStartObject();
        json.WriteString("ts"u8, entry.Timestamp);
        json.WriteString("level"u8, LevelNames[(int)entry.Level]);
        json.WriteString("category"u8, entry.Category);
        json.WriteNumber("event"u8, entry.EventId);
        // The template and its values, not rendered text: rendering would cost the request path's core for
        // nothing a log reader cannot do itself (the same choice as Serilog's compact JSON format).
        json.WriteString("template"u8, entry.Template);
        foreach (var (key, value) in entry.Properties)
        {
            switch (value)
            {
                case null: json.WriteNull(key); break;
                case int i: json.WriteNumber(key, i); break;
                case long l: json.WriteNumber(key, l); break;
                case double d: json.WriteNumber(key, d); break;
                case bool b: json.WriteBoolean(key, b); break;
                default: json.WriteString(key, LogValue.Truncate(Convert.ToString(value, CultureInfo.InvariantCulture), LogValue.LimitFor(value))); break;
            }
        }
        if (entry.Exception is not null) json.WriteString("exception"u8, entry.Exception);
        json.WriteEndObject();
    }

    private void Flush()
    {
        if (_file is null || _buffer.WrittenCount == 0) return;
        _file.Write(_buffer.WrittenSpan);
        _file.Flush();
        _buffer.Clear();
    }

    private void Roll(string day)
    {
        Directory.CreateDirectory(directory);
        _file?.Dispose();
        if (day != _day)
        {
            _index = 0;
            while (File.Exists(PathFor(day, _index + 1))) _index++;
        }
        while (File.Exists(PathFor(day, _index)) && new FileInfo(PathFor(day, _index)).Length >= options.MaxFileBytes) _index++;
        _day = day;
        _file = new FileStream(PathFor(day, _index), FileMode.Append, FileAccess.Write, FileShare.ReadWrite);
        PruneOldFiles();
    }

    private string PathFor(string day, int index) =>
        Path.Combine(directory, index == 0 ? $"switchboard-{day}.log" : $"switchboard-{day}.{index}.log");

    private void PruneOldFiles()
    {
        var files = new DirectoryInfo(directory).GetFiles("switchboard-*.log")
            .OrderByDescending(f => f.LastWriteTimeUtc).ThenByDescending(f => f.Name, StringComparer.Ordinal);
        foreach (var old in files.Skip(options.RetainedFiles))
        {
            try { old.Delete(); }
            catch (IOException) { /* held elsewhere; pruned on the next roll */ }
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _json?.Dispose();
            _file?.Dispose();
        }
        base.Dispose(disposing);
    }
}
