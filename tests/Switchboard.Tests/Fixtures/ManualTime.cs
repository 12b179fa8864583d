using System.Threading.Channels;

namespace Switchboard.Tests.Fixtures;

/// <summary>
/// A clock that moves only when a test says so. Timers it creates (a retry's <c>Task.Delay</c>) are announced
/// through <see cref="NextTimerAsync"/> with their due time, and fire when <see cref="Advance"/> passes it — so a
/// test can see the exact delay the gateway chose and that nothing happened before it elapsed.
/// </summary>
public sealed class ManualTime : TimeProvider
{
    private readonly Lock _lock = new();
    private readonly List<ManualTimer> _timers = [];
    private readonly Channel<ManualTimer> _created = Channel.CreateUnbounded<ManualTimer>();
    private long _ticks;

    public static readonly DateTimeOffset Epoch = new(2026, 12, 1, 0, 0, 0, TimeSpan.Zero);

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => Volatile.Read(ref _ticks);
    public override DateTimeOffset GetUtcNow() => Epoch + TimeSpan.FromTicks(GetTimestamp());

    public void Advance(TimeSpan by)
    {
        List<ManualTimer> due;
        lock (_lock)
        {
            _ticks += by.Ticks;
            due = _timers.Where(t => t.DueAt <= _ticks).ToList();
            foreach (var timer in due) _timers.Remove(timer);
        }
        foreach (var timer in due) timer.Fire();
    }

    /// <summary>The next one-shot timer the code under test creates, once it has.</summary>
    public async Task<ManualTimer> NextTimerAsync(TimeSpan timeout) => await _created.Reader.ReadAsync().AsTask().WaitAsync(timeout);

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state, dueTime);
        lock (_lock)
        {
            timer.DueAt = _ticks + dueTime.Ticks;
            if (dueTime != Timeout.InfiniteTimeSpan) _timers.Add(timer);
        }
        // Periodic timers (the key cache's refresh loop) run in the background of every gateway: announcing them would
        // put them ahead of the one-shot delays the tests wait for.
        if (period == Timeout.InfiniteTimeSpan || period == TimeSpan.Zero) _created.Writer.TryWrite(timer);
        return timer;
    }

    internal void Rearm(ManualTimer timer, TimeSpan dueTime)
    {
        lock (_lock)
        {
            _timers.Remove(timer);
            timer.DueAt = _ticks + dueTime.Ticks;
            if (dueTime != Timeout.InfiniteTimeSpan) _timers.Add(timer);
        }
    }

    internal void Remove(ManualTimer timer)
    {
        lock (_lock) _timers.Remove(timer);
    }

    public sealed class ManualTimer(ManualTime owner, TimerCallback callback, object? state, TimeSpan dueTime) : ITimer
    {
        public TimeSpan DueTime { get; } = dueTime;
        internal long DueAt { get; set; }

        internal void Fire() => callback(state);

        /// <summary>Re-arms the timer (periods are not used by the gateway); an infinite due time disarms it.</summary>
        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            owner.Rearm(this, dueTime);
            return true;
        }

        public void Dispose() => owner.Remove(this);

        public ValueTask DisposeAsync()
        {
            Dispose();
            return default;
        }
    }
}
