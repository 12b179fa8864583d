using System.Collections.Concurrent;

namespace Switchboard.Logging;

/// <summary>
/// The gateway's one logger provider. Callers only capture and enqueue; a dedicated low-priority thread drains
/// the queue every 10 ms and hands each batch to every sink (file, console). Waking a writer thread per line, or
/// formatting a line per sink on the request path, cost about a third of the gateway's throughput on a small
/// machine. Under overload lines are dropped, never requests slowed.
/// </summary>
public sealed class BatchingLoggerProvider : ILoggerProvider
{
    private const int MaxQueued = 100_000;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(10);
    // Sinks write (and flush) per chunk, so a long backlog goes out in several smaller writes.
    private const int ChunkSize = 256;
    private readonly ConcurrentQueue<LogEntry> _queue = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly IReadOnlyList<LogSink> _sinks;
    private readonly TimeProvider _time;
    private readonly Thread _writer;
    private int _queued;
    private int _disposed;

    public BatchingLoggerProvider(IReadOnlyList<LogSink> sinks, TimeProvider time)
    {
        _sinks = sinks;
        _time = time;
        _writer = new Thread(DrainLoop) { IsBackground = true, Name = "Switchboard log writer" };
        _writer.Start();
    }

    public ILogger CreateLogger(string categoryName) => new BatchingLogger(this, categoryName);

    private void Enqueue(LogEntry entry)
    {
        if (Interlocked.Increment(ref _queued) > MaxQueued)
        {
            Interlocked.Decrement(ref _queued);
            return;
        }
        _queue.Enqueue(entry);
    }

    private void DrainLoop()
    {
        BackgroundPriority.LowerCurrentThread();
        // Disposal sets the handle; the final drain happens in Dispose.
        while (!_stop.Token.WaitHandle.WaitOne(Interval)) Drain();
    }

    private void Drain()
    {
        var batch = new List<LogEntry>(ChunkSize);
        while (true)
        {
            batch.Clear();
            while (batch.Count < ChunkSize && _queue.TryDequeue(out var entry))
            {
                Interlocked.Decrement(ref _queued);
                batch.Add(entry);
            }
            if (batch.Count == 0) return;
            foreach (var sink in _sinks)
            {
                try
                {
                    sink.Write(batch);
                }
                catch (IOException)
                {
                    // A full disk or a closed stdout must not take the gateway down; those lines are lost.
                }
            }
        }
    }

    /// <summary>Stops the loop and writes everything still queued.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _writer.Join(TimeSpan.FromSeconds(5));
        Drain();
        foreach (var sink in _sinks) sink.Dispose();
        _stop.Dispose();
    }

    private sealed class BatchingLogger(BatchingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        // Levels are filtered by the logging framework (one minimum, set from Switchboard:Logging:Level).
        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string? template = null;
            KeyValuePair<string, object?>[]? properties = null;
            if (state is IReadOnlyList<KeyValuePair<string, object?>> list && list.Count > 0 &&
                list[^1] is { Key: "{OriginalFormat}", Value: string original })
            {
                template = original;
                if (list.Count > 1)
                {
                    properties = new KeyValuePair<string, object?>[list.Count - 1];
                    for (var i = 0; i < properties.Length; i++) properties[i] = list[i];
                }
            }
            // States without a template (rare: framework internals) are formatted now, while they are valid.
            template ??= formatter(state, exception).Replace("{", "{{", StringComparison.Ordinal).Replace("}", "}}", StringComparison.Ordinal);
            provider.Enqueue(new LogEntry(provider._time.GetUtcNow(), logLevel, category, eventId.Id, template, properties, exception?.ToString()));
        }
    }
}
