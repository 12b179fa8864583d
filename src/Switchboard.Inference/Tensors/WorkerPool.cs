using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Switchboard.Inference.Tensors;

/// <summary>
/// One persistent thread per extra core, spinning briefly between jobs. A decode step runs ~200 matrix products of a
/// few tens of microseconds each; waking thread-pool workers for every one (futex round trips, tens of microseconds)
/// cost a quarter of the second core. Workers spin for <see cref="SpinBudget"/> after each job, then sleep until the
/// next. One job at a time: a second caller (another session) is told to run alone, so cores are never oversubscribed.
/// </summary>
internal sealed class WorkerPool
{
    private static readonly long SpinBudget = Stopwatch.Frequency / 5000;    // 200 µs

    private readonly Lock _running = new();
    private readonly object _sleep = new();
    private readonly int _workers;
    private Job _job = new(0, null, 0);
    private int _pending;
    private int _sleepers;
    private ExceptionDispatchInfo? _failure;

    private WorkerPool(int workers)
    {
        _workers = workers;
        for (var i = 0; i < workers; i++)
        {
            var index = i + 1;
            new Thread(() => Work(index)) { IsBackground = true, Name = $"Switchboard.Inference worker {index}" }.Start();
        }
    }

    public static WorkerPool Shared { get; } = new(Math.Max(0, Environment.ProcessorCount - 1));

    /// <summary>The most parts a job can have: the caller plus the workers.</summary>
    public int Parts => _workers + 1;

    /// <summary>
    /// Runs <paramref name="body"/> for parts 0..<paramref name="parts"/>-1, part 0 on the caller; returns false
    /// (having run nothing) when another job holds the pool, or when called from inside a job.
    /// </summary>
    public bool TryRun(int parts, Action<int> body)
    {
        if (parts > Parts) throw new ArgumentOutOfRangeException(nameof(parts), $"At most {Parts} parts.");
        // Held by this thread means a part is asking for the pool again (nested): it must run alone, not re-enter.
        if (_running.IsHeldByCurrentThread || !_running.TryEnter()) return false;
        try
        {
            _failure = null;
            Volatile.Write(ref _pending, parts - 1);
            // The generation travels with the job so a worker can never pair one job's number with another's body.
            Interlocked.Exchange(ref _job, new Job(_job.Generation + 1, body, parts));
            if (Volatile.Read(ref _sleepers) > 0)
            {
                lock (_sleep) Monitor.PulseAll(_sleep);
            }
            try
            {
                body(0);
            }
            finally
            {
                var spinner = new SpinWait();
                while (Volatile.Read(ref _pending) > 0) spinner.SpinOnce(sleep1Threshold: -1);
            }
            _failure?.Throw();
            return true;
        }
        finally
        {
            _running.Exit();
        }
    }

    private void Work(int index)
    {
        var seen = 0;
        while (true)
        {
            var job = WaitForJob(seen);
            seen = job.Generation;
            if (index >= job.Parts) continue;
            try
            {
                job.Body!(index);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            }
            finally
            {
                Interlocked.Decrement(ref _pending);
            }
        }
    }

    private Job WaitForJob(int seen)
    {
        var deadline = Stopwatch.GetTimestamp() + SpinBudget;
        while (Stopwatch.GetTimestamp() < deadline)
        {
            var job = Volatile.Read(ref _job);
            if (job.Generation != seen) return job;
            Thread.SpinWait(16);
        }
        lock (_sleep)
        {
            Interlocked.Increment(ref _sleepers);
            while (Volatile.Read(ref _job).Generation == seen) Monitor.Wait(_sleep);
            Interlocked.Decrement(ref _sleepers);
            return Volatile.Read(ref _job);
        }
    }

    private sealed record Job(int Generation, Action<int>? Body, int Parts);
}
