using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Threading.Channels;
using Switchboard.Configuration;

namespace Switchboard.Logging;

/// <summary>
/// Writes structured JSON lines to <c>logs/switchboard-yyyyMMdd[.N].log</c> under the data directory, starting a
/// new file each UTC day and whenever one passes <see cref="LogOptions.MaxFileBytes"/>, keeping the newest
/// <see cref="LogOptions.RetainedFiles"/>. Callers only enqueue; one background task does the I/O, and under
/// overload lines are dropped rather than requests slowed.
/// </summary>
public sealed class RollingFileLoggerProvider : ILoggerProvider
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly Channel<string> _lines = Channel.CreateBounded<string>(new BoundedChannelOptions(50_000)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });
    private readonly string _directory;
    private readonly LogOptions _options;
    private readonly TimeProvider _time;
    private readonly Task _writer;

    public RollingFileLoggerProvider(string directory, LogOptions options, TimeProvider time)
    {
        _directory = directory;
        _options = options;
        _time = time;
        Directory.CreateDirectory(directory);
        _writer = Task.Run(WriteLoopAsync);
    }

    public ILogger CreateLogger(string categoryName) => new FileLogger(this, categoryName);

    private void Enqueue(string line) => _lines.Writer.TryWrite(line);

    private async Task WriteLoopAsync()
    {
        StreamWriter? file = null;
        string? day = null;
        var index = 0;
        try
        {
            while (await _lines.Reader.WaitToReadAsync())
            {
                while (_lines.Reader.TryRead(out var line))
                {
                    var today = _time.GetUtcNow().ToString("yyyyMMdd", CultureInfo.InvariantCulture);
                    if (file is null || today != day || file.BaseStream.Length >= _options.MaxFileBytes)
                    {
                        if (file is not null) await file.DisposeAsync();
                        if (today != day) index = FirstFreeIndex(today);
                        else index++;
                        day = today;
                        file = new StreamWriter(new FileStream(PathFor(day, index), FileMode.Append, FileAccess.Write, FileShare.ReadWrite), new UTF8Encoding(false));
                        PruneOldFiles();
                    }
                    await file.WriteAsync(line);
                }
                await file!.FlushAsync();
            }
        }
        finally
        {
            if (file is not null) await file.DisposeAsync();
        }
    }

    private int FirstFreeIndex(string day)
    {
        var index = 0;
        while (File.Exists(PathFor(day, index + 1))) index++;
        return File.Exists(PathFor(day, index)) && new FileInfo(PathFor(day, index)).Length >= _options.MaxFileBytes ? index + 1 : index;
    }

    private string PathFor(string day, int index) =>
        Path.Combine(_directory, index == 0 ? $"switchboard-{day}.log" : $"switchboard-{day}.{index}.log");

    private void PruneOldFiles()
    {
        var files = new DirectoryInfo(_directory).GetFiles("switchboard-*.log").OrderByDescending(f => f.LastWriteTimeUtc).ThenByDescending(f => f.Name, StringComparer.Ordinal).ToList();
        foreach (var old in files.Skip(_options.RetainedFiles))
        {
            try { old.Delete(); }
            catch (IOException) { /* another process may hold it; retry on the next roll */ }
        }
    }

    /// <summary>Stops accepting lines and waits until everything queued is on disk.</summary>
    public void Dispose()
    {
        _lines.Writer.TryComplete();
        _writer.Wait(TimeSpan.FromSeconds(5));
    }

    private sealed class FileLogger(RollingFileLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider._options.MinimumLevel && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
            using (var json = new Utf8JsonWriter(buffer, WriterOptions))
            {
                json.WriteStartObject();
                json.WriteString("ts"u8, provider._time.GetUtcNow());
                json.WriteString("level"u8, logLevel.ToString());
                json.WriteString("category"u8, category);
                json.WriteNumber("event"u8, eventId.Id);
                json.WriteString("message"u8, formatter(state, exception));
                if (state is IReadOnlyList<KeyValuePair<string, object?>> properties)
                {
                    foreach (var (key, value) in properties)
                    {
                        if (key == "{OriginalFormat}") continue;
                        switch (value)
                        {
                            case null: json.WriteNull(key); break;
                            case int i: json.WriteNumber(key, i); break;
                            case long l: json.WriteNumber(key, l); break;
                            case double d: json.WriteNumber(key, d); break;
                            case bool b: json.WriteBoolean(key, b); break;
                            default: json.WriteString(key, Convert.ToString(value, CultureInfo.InvariantCulture)); break;
                        }
                    }
                }
                if (exception is not null) json.WriteString("exception"u8, exception.ToString());
                json.WriteEndObject();
            }
            provider.Enqueue(Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n");
        }
    }
}
