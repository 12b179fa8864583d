namespace Switchboard.Buffers;

/// <summary>
/// The process-wide cap on bytes held in request and response buffers (<c>Switchboard:Limits:MaxBufferedBytes</c>).
/// Every <see cref="ByteBuffer"/> reserves its capacity here before it grows, so a burst of large bodies is
/// refused with a retryable 503 instead of growing the heap without bound.
/// </summary>
public sealed class BufferBudget(long limit)
{
    private long _used;

    private long _limit = limit;

    public long Limit => Volatile.Read(ref _limit);

    /// <summary>A new bound (a configuration reload); buffers already held past it stay, and new ones wait for room.</summary>
    internal void Resize(long limit) => Volatile.Write(ref _limit, limit);

    /// <summary>Bytes reserved by buffers alive now.</summary>
    public long Used => Volatile.Read(ref _used);

    public bool TryReserve(long bytes)
    {
        var used = Volatile.Read(ref _used);
        while (true)
        {
            var next = used + bytes;
            if (next > Limit) return false;
            var seen = Interlocked.CompareExchange(ref _used, next, used);
            if (seen == used) return true;
            used = seen;
        }
    }

    public void Release(long bytes) => Interlocked.Add(ref _used, -bytes);
}
