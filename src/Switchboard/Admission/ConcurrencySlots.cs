namespace Switchboard.Admission;

/// <summary>
/// A key's requests in flight at once (its <c>max_concurrent_requests</c>), on this instance: a stream holds its slot
/// until it ends. At the limit, up to <c>Admission:QueueLength</c> requests wait, each at most
/// <c>Admission:QueueTimeout</c>, in arrival order, for a slot to free; the rest are refused at once.
/// </summary>
internal sealed class ConcurrencySlots(int slots) : IDisposable
{
    private readonly SemaphoreSlim _free = new(slots, slots);
    private int _waiting;

    public int Slots { get; } = slots;

    /// <summary>Requests waiting for a slot now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public async ValueTask<bool> TryEnterAsync(int queueLength, TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (_free.Wait(0, CancellationToken.None)) return true;
        if (Interlocked.Increment(ref _waiting) > queueLength)
        {
            Interlocked.Decrement(ref _waiting);
            return false;
        }
        try
        {
            return await _free.WaitAsync(timeout, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    public void Exit() => _free.Release();

    public void Dispose() => _free.Dispose();
}
