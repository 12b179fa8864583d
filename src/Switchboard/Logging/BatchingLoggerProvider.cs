using System.Collections.Concurrent;

namespace Switchboard.Logging;

/// <summary>
/// A logger provider whose callers only enqueue: a background loop drains the queue on a short timer and writes
/// each batch at once. Waking a writer thread per line costs a context switch per request, which on a small
/// machine is a large share of the gateway's overhead. Under overload lines are dropped, never requests slowed.
/// </summary>
public abstract class BatchingLoggerProvider : ILoggerProvider
{
    private const int MaxQueued = 100_000;
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(100);
    private readonly ConcurrentQueue<LogEntry> _queue = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly LogLevel _minimumLevel;
    private readonly Task _loop;
    private int _queued;
    private int _disposed;

    protected BatchingLoggerProvider(LogLevel minimumLevel, TimeProvider time)
    {
        _minimumLevel = minimumLevel;
        Time = time;
        _loop = Task.Run(DrainLoopAsync);
    }

    protected TimeProvider Time { get; }

    public ILogger CreateLogger(string categoryName) => new BatchingLogger(this, categoryName);

    /// <summary>Writes a batch; called from the background loop only, never concurrently.</summary>
    protected abstract void WriteBatch(IReadOnlyList<LogEntry> batch);

    private void Enqueue(LogEntry entry)
    {
        if (Interlocked.Increment(ref _queued) > MaxQueued)
        {
            Interlocked.Decrement(ref _queued);
            return;
        }
        _queue.Enqueue(entry);
    }

    private async Task DrainLoopAsync()
    {
        using var timer = new PeriodicTimer(Interval, Time);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token)) Drain();
        }
        catch (OperationCanceledException)
        {
            // Disposal: the final drain happens in Dispose.
        }
    }

    private void Drain()
    {
        List<LogEntry>? batch = null;
        while (_queue.TryDequeue(out var entry))
        {
            Interlocked.Decrement(ref _queued);
            (batch ??= []).Add(entry);
        }
        if (batch is null) return;
        try
        {
            WriteBatch(batch);
        }
        catch (IOException)
        {
            // A full disk or closed stdout must not take the gateway down; the lines are lost.
        }
    }

    /// <summary>Stops the loop and writes everything still queued.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _loop.Wait(TimeSpan.FromSeconds(5));
        Drain();
        DisposeSink();
        _stop.Dispose();
        GC.SuppressFinalize(this);
    }

    protected virtual void DisposeSink() { }

    private sealed class BatchingLogger(BatchingLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= provider._minimumLevel && logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            KeyValuePair<string, object?>[]? properties = null;
            if (state is IReadOnlyList<KeyValuePair<string, object?>> list && list.Count > 1)
            {
                properties = new KeyValuePair<string, object?>[list.Count - 1];
                var n = 0;
                for (var i = 0; i < list.Count && n < properties.Length; i++)
                {
                    if (list[i].Key != "{OriginalFormat}") properties[n++] = list[i];
                }
            }
            provider.Enqueue(new LogEntry(provider.Time.GetUtcNow(), logLevel, category, eventId.Id,
                formatter(state, exception), properties, exception?.ToString()));
        }
    }
}
