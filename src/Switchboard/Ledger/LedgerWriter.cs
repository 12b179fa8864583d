using System.Diagnostics;
using System.Threading.Channels;
using Switchboard.Configuration;
using Switchboard.Logging;
using Switchboard.Storage;

namespace Switchboard.Ledger;

/// <summary>
/// Writes ledger rows off the request path: requests hand their row to a bounded queue, and a writer thread of its
/// own stores what gathered once per <c>Ledger:FlushInterval</c> after the first row (sooner when many rows wait), in
/// batches. It wakes once per interval, not once per row, and runs at a slightly lowered priority, so its bursts give
/// way to requests on a busy core yet keep pace with them (see <see cref="BackgroundPriority"/>). When the queue is
/// full, requests wait for room — back-pressure, never a dropped row. A batch the store refuses is kept and retried.
/// The writer lives as long as the container: it is disposed after the server has finished its last request, and
/// disposing it writes everything still queued.
/// </summary>
internal sealed class LedgerWriter : IAsyncDisposable
{
    private const int BatchSize = 256;
    // Nice +4 (CFS weight 423 against 1024): preempted by request work, yet a third of a core against two busy threads,
    // several times what the ledger needs at the gateway's peak rate, so its lag stays within the flush interval.
    private const int Niceness = 4;

    private readonly Store _store;
    private readonly GatewayOptions _options;
    private readonly ILogger<LedgerWriter> _logger;
    private readonly Channel<LedgerRow> _queue;
    // Rows appended since the writer last started draining; reaching _wakeAt releases _wake early.
    private readonly SemaphoreSlim _wake = new(0);
    private readonly int _wakeAt;
    private int _unwritten;
    private volatile bool _stopping;
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public LedgerWriter(Store store, GatewayOptions options, ILogger<LedgerWriter> logger)
    {
        _store = store;
        _options = options;
        _logger = logger;
        _queue = Channel.CreateBounded<LedgerRow>(new BoundedChannelOptions(options.Ledger.QueueCapacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
        _wakeAt = Math.Max(1, Math.Min(BatchSize * 16, options.Ledger.QueueCapacity / 2));
        new Thread(Run) { IsBackground = true, Name = "Switchboard ledger writer" }.Start();
    }

    /// <summary>Rows queued and not yet stored.</summary>
    public int Pending => _queue.Reader.Count;

    // When the oldest row not yet taken for writing was queued, and when the oldest of those being written was
    // (Stopwatch timestamps, 0: none): what WriteLag reads. Approximate at the edges of a batch, exact enough for a gauge.
    private long _queuedSince;
    private long _writingSince;

    /// <summary>How long the oldest row not yet stored has waited (zero when every row is stored).</summary>
    public TimeSpan WriteLag
    {
        get
        {
            long writing = Volatile.Read(ref _writingSince), queued = Volatile.Read(ref _queuedSince);
            var oldest = writing != 0 ? writing : queued;
            return oldest == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(oldest);
        }
    }

    /// <summary>Queues a row; waits only when the queue is full.</summary>
    public ValueTask AppendAsync(LedgerRow row)
    {
        var unwritten = Interlocked.Increment(ref _unwritten);
        if (unwritten == 1) Interlocked.CompareExchange(ref _queuedSince, Stopwatch.GetTimestamp(), 0);
        if (unwritten == _wakeAt) _wake.Release();
        return _queue.Writer.TryWrite(row) ? ValueTask.CompletedTask : _queue.Writer.WriteAsync(row, CancellationToken.None);
    }

    /// <summary>Stops taking rows and returns once every queued row is stored.</summary>
    public async ValueTask DisposeAsync()
    {
        _stopping = true;
        _queue.Writer.TryComplete();
        _wake.Release();
        await _stopped.Task;
        _wake.Dispose();
    }

    // Blocking waits on a thread of its own: the thread (and its priority) does the writing, not whichever pool
    // thread an await would resume on. SQLite's writes run here; PostgreSQL's I/O completes on the pool meanwhile.
    private void Run()
    {
        BackgroundPriority.LowerCurrentThread(Niceness);
        var batch = new List<LedgerRow>(BatchSize);
        var reader = _queue.Reader;
        try
        {
            // Ends when the queue is completed and empty (disposal), never by cancellation: nothing queued is left behind.
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                // Let rows gather for one flush interval from the first (disposal or a long queue cuts it short).
                if (!reader.Completion.IsCompleted) _wake.Wait(_options.Ledger.FlushInterval);
                Interlocked.Exchange(ref _unwritten, 0);
                Volatile.Write(ref _writingSince, Interlocked.Exchange(ref _queuedSince, 0));
                while (reader.TryRead(out var row))
                {
                    batch.Add(row);
                    if (batch.Count < BatchSize) continue;
                    Write(batch);
                    // Between transactions, a request that became runnable gets the core now: on one core a flush
                    // of thousands of rows otherwise held it for milliseconds, most of the gateway's p99 at one connection.
                    Thread.Yield();
                }
                Write(batch);
                Volatile.Write(ref _writingSince, 0);
            }
        }
        finally
        {
            _stopped.TrySetResult();
        }
    }

    private void Write(List<LedgerRow> batch)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (batch.Count > 0)
        {
            try
            {
                _store.AppendLedgerAsync(batch, CancellationToken.None).GetAwaiter().GetResult();
                batch.Clear();
            }
            catch (Exception e)
            {
                Logging.Log.LedgerWriteFailed(_logger, batch.Count, e.Message);
                // Kept and retried, backing off up to 5 s; when the gateway is stopping, a store that stays down for
                // the whole backoff ends the attempt (the rows are logged as lost rather than holding the exit forever).
                if (_stopping && delay >= TimeSpan.FromSeconds(5))
                {
                    Logging.Log.LedgerRowsLost(_logger, batch.Count);
                    batch.Clear();
                    return;
                }
                Thread.Sleep(delay);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
            }
        }
    }
}
