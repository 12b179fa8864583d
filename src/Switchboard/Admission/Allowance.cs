using Switchboard.Storage;

namespace Switchboard.Admission;

/// <summary>
/// One limit in one window (a project's requests this minute, its spend this month…) as this instance sees it.
/// The window's total lives in the store (<c>admission_counters</c>); an instance leases slices of it and decides
/// in memory until its slice runs out, then leases again. Every lease is granted under a row lock and never past
/// the limit, so all instances together never hand out more than the limit (no overshoot from concurrency). What
/// an instance leased and did not use is lost to the others for the window: while one instance refuses, the others
/// hold at most two slices each unused (the undershoot bound, <see cref="SliceOf"/>; what settled requests give back
/// beyond that returns to the store). A lease is granted only if what the
/// request needs is left, so a request that cannot fit takes nothing.
/// </summary>
internal sealed class Allowance(string scope, long window, long windowEnd, long limit, long initial) : IDisposable
{
    private readonly long _initial = initial;
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _leasing = new(1, 1);
    private long _leased;
    private long _used;
    private long _storeUsed = initial;

    public string Scope { get; } = scope;
    public long Window { get; } = window;
    /// <summary>When the window ends (Unix seconds): a refused request may succeed from then.</summary>
    public long WindowEnd { get; } = windowEnd;
    public long Limit { get; } = limit;
    /// <summary>The limit as its response header says it, formatted once.</summary>
    public string LimitText { get; } = limit.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private sealed record ResetCache(long Milliseconds, string Text);

    // Swapped whole, so a reader never pairs one millisecond count with another's text.
    private volatile ResetCache? _reset;

    /// <summary>Until the window resets, as OpenAI writes it; requests in the same millisecond share the text.</summary>
    public string ResetText(long nowMilliseconds)
    {
        var left = WindowEnd * 1000 - nowMilliseconds;
        if (_reset is { } cached && cached.Milliseconds == left) return cached.Text;
        var text = RateLimitDuration.Format(TimeSpan.FromMilliseconds(left));
        _reset = new ResetCache(left, text);
        return text;
    }

    /// <summary>
    /// The slice leased at a time: a sixteenth of the limit (at least 1), so a busy instance goes to the store about
    /// sixteen times per window, and another instance's unused slice keeps at most that much from being admitted.
    /// </summary>
    public static long SliceOf(long limit) => Math.Max(1, (limit + 15) / 16);

    /// <summary>What is left of the limit in this window, as far as this instance knows (exact with one instance).</summary>
    public long Remaining
    {
        get
        {
            lock (_gate) return Math.Max(0, Limit - (_storeUsed - (_leased - _used)));
        }
    }

    /// <summary>Takes <paramref name="amount"/> from this instance's slice, leasing more from the store when it runs out; false if the limit is reached.</summary>
    public async ValueTask<bool> TryTakeAsync(long amount, Store store)
    {
        if (amount > Limit) return false;
        if (TryTakeLocal(amount)) return true;
        await _leasing.WaitAsync();
        try
        {
            // Another request may have leased while this one waited.
            if (TryTakeLocal(amount)) return true;
            long need;
            lock (_gate) need = amount - (_leased - _used);
            var (granted, storeUsed) = await store.LeaseAsync(Scope, Window, need, Math.Max(need, SliceOf(Limit)), Limit, _initial);
            lock (_gate)
            {
                _leased += granted;
                _storeUsed = storeUsed;
            }
            return TryTakeLocal(amount);
        }
        finally
        {
            _leasing.Release();
        }
    }

    /// <summary>
    /// Settles a taken amount against what was really used: the rest goes back to this instance's slice (beyond two
    /// slices, to the store); more than was taken is added to the store's count as it is (the request itself passed the limit).
    /// </summary>
    public Task SettleAsync(long taken, long actual, Store store)
    {
        long change;
        lock (_gate)
        {
            _used += actual - taken;
            var excess = Math.Max(0, _used - _leased);
            // What settled requests gave back stays with this instance only up to two slices; the rest goes back to the
            // store for the others, so each instance holds at most that much unused (the undershoot bound).
            var slice = SliceOf(Limit);
            var surplus = _leased - _used > 2 * slice ? _leased - _used - slice : 0;
            change = excess - surplus;
            _leased += change;
            _storeUsed += change;
        }
        return change != 0 ? store.AddToCounterAsync(Scope, Window, change) : Task.CompletedTask;
    }

    public void Dispose() => _leasing.Dispose();

    /// <summary>Gives what this instance leased and has not used back to the store's count.</summary>
    public Task ReturnUnusedAsync(Store store)
    {
        long unused;
        lock (_gate)
        {
            unused = _leased - _used;
            _leased = _used;
        }
        return unused > 0 ? store.AddToCounterAsync(Scope, Window, -unused) : Task.CompletedTask;
    }

    private bool TryTakeLocal(long amount)
    {
        lock (_gate)
        {
            if (_used + amount > _leased) return false;
            _used += amount;
            return true;
        }
    }
}
