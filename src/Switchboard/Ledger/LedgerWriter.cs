using System.Threading.Channels;
using Switchboard.Configuration;
using Switchboard.Storage;

namespace Switchboard.Ledger;

/// <summary>
/// Writes ledger rows off the request path: requests hand their row to a bounded queue and the writer stores them
/// in batches (every <c>Ledger:FlushInterval</c>, or at once when a batch is full). When the queue is full, requests
/// wait for room — back-pressure, never a dropped row. A batch the store refuses is kept and retried. The writer
/// lives as long as the container: it is disposed after the server has finished its last request, and disposing it
/// writes everything still queued.
/// </summary>
internal sealed class LedgerWriter : IAsyncDisposable
{
    // Small enough that writing one batch holds a core for about a millisecond (a latency spike for requests sharing it).
    private const int BatchSize = 256;

    private readonly Store _store;
    private readonly GatewayOptions _options;
    // The flush interval is a batching detail no test needs to stop: the system clock, not the injected one.
    private readonly TimeProvider _time = TimeProvider.System;
    private readonly ILogger<LedgerWriter> _logger;
    private readonly Channel<LedgerRow> _queue;
    private readonly Task _loop;

    public LedgerWriter(Store store, GatewayOptions options, ILogger<LedgerWriter> logger)
    {
        _store = store;
        _options = options;
        _logger = logger;
        _queue = Channel.CreateBounded<LedgerRow>(new BoundedChannelOptions(options.Ledger.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _loop = Task.Run(RunAsync);
    }

    /// <summary>Rows queued and not yet stored.</summary>
    public int Pending => _queue.Reader.Count;

    /// <summary>Queues a row; waits only when the queue is full.</summary>
    public ValueTask AppendAsync(LedgerRow row) =>
        _queue.Writer.TryWrite(row) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(row, CancellationToken.None);

    /// <summary>Stops taking rows and returns once every queued row is stored.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _loop;
    }

    private async Task RunAsync()
    {
        var batch = new List<LedgerRow>(BatchSize);
        var reader = _queue.Reader;
        // Ends when the queue is completed and empty (disposal), never by cancellation: nothing queued is left behind.
        while (await reader.WaitToReadAsync())
        {
            // Let a batch gather for one flush interval (unless it fills first), then write it in one transaction.
            var deadline = _time.GetTimestamp();
            while (batch.Count < BatchSize)
            {
                while (batch.Count < BatchSize && reader.TryRead(out var row)) batch.Add(row);
                var left = _options.Ledger.FlushInterval - _time.GetElapsedTime(deadline);
                if (batch.Count >= BatchSize || left <= TimeSpan.Zero || reader.Completion.IsCompleted) break;
                var more = reader.WaitToReadAsync().AsTask();
                if (await Task.WhenAny(more, Task.Delay(left, _time)) != more || !await more) break;
            }
            await WriteAsync(batch);
        }
    }

    private async Task WriteAsync(List<LedgerRow> batch)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (batch.Count > 0)
        {
            try
            {
                await _store.AppendLedgerAsync(batch, CancellationToken.None);
                batch.Clear();
            }
            catch (Exception e)
            {
                Logging.Log.LedgerWriteFailed(_logger, batch.Count, e.Message);
                // Kept and retried, backing off up to 5 s; when the gateway is stopping, a store that stays down for
                // the whole backoff ends the attempt (the rows are logged as lost rather than holding the exit forever).
                if (_queue.Reader.Completion.IsCompleted && delay >= TimeSpan.FromSeconds(5))
                {
                    Logging.Log.LedgerRowsLost(_logger, batch.Count);
                    return;
                }
                await Task.Delay(delay, _time, CancellationToken.None);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }
}
