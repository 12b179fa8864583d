using System.Buffers;

namespace Switchboard.Buffers;

/// <summary>Why a <see cref="ByteBuffer"/> could not take more.</summary>
internal enum GrowResult
{
    Ok,
    /// <summary>The content would pass the buffer's own maximum.</summary>
    TooLarge,
    /// <summary>The process-wide <see cref="BufferBudget"/> is spent.</summary>
    OverBudget,
}

/// <summary>
/// A growable byte buffer holding at most <see cref="MaxBytes"/>, whose capacity is reserved against the
/// <see cref="BufferBudget"/>. Arrays up to 16 KiB (every usual request and answer) come from a pool of the
/// gateway's own, up to 1 MiB from the shared pool; larger ones are allocated for one use and dropped, because the
/// shared pool keeps what it is given for the life of the process. The budget is charged the capacity asked for, and
/// the buffer uses no more than that even when a pool hands out a larger array.
/// </summary>
internal sealed class ByteBuffer(BufferBudget budget, int maxBytes) : IDisposable
{
    private const int SmallLimit = 16 * 1024;
    private const int PooledLimit = 1024 * 1024;
    // The shared pool keeps 32 arrays of a size per core it may use: with 64 connections on one core, most of a
    // request's two 4 KiB buffers were new arrays, about 8 KB of garbage per request. This one keeps as many as 256
    // of each size up to 16 KiB (at most 7 MiB, held only after that many were in use at once).
    private static readonly ArrayPool<byte> Small = ArrayPool<byte>.Create(SmallLimit, 256);
    private const int ReadSize = 16 * 1024;
    private byte[] _array = [];
    private int _capacity;
    private int _count;

    public int MaxBytes { get; } = maxBytes;
    public int Count => _count;
    public ReadOnlyMemory<byte> Written => _array.AsMemory(0, _count);
    public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, _count);

    /// <summary>The room after the content, never past <see cref="MaxBytes"/>.</summary>
    public Memory<byte> Free => _array.AsMemory(_count, _capacity - _count);

    /// <summary>Makes room for at least <paramref name="bytes"/> more, growing (and reserving) by doubling.</summary>
    public GrowResult TryEnsureFree(int bytes)
    {
        if (Free.Length >= bytes) return GrowResult.Ok;
        var needed = (long)_count + bytes;
        if (needed > MaxBytes) return GrowResult.TooLarge;
        var capacity = (int)Math.Min(MaxBytes, Math.Max(needed, Math.Max(4096L, 2L * _capacity)));
        // Only the growth is charged: the old array is given back as soon as its content is copied.
        if (!budget.TryReserve(capacity - _capacity)) return GrowResult.OverBudget;
        var grown = capacity <= SmallLimit ? Small.Rent(capacity)
            : capacity <= PooledLimit ? ArrayPool<byte>.Shared.Rent(capacity) : GC.AllocateUninitializedArray<byte>(capacity);
        _array.AsSpan(0, _count).CopyTo(grown);
        ReturnArray(release: false);
        _array = grown;
        _capacity = capacity;
        return GrowResult.Ok;
    }

    public void Advance(int bytes) => _count += bytes;

    public GrowResult TryWrite(ReadOnlySpan<byte> bytes)
    {
        var grown = TryEnsureFree(bytes.Length);
        if (grown != GrowResult.Ok) return grown;
        bytes.CopyTo(Free.Span);
        _count += bytes.Length;
        return GrowResult.Ok;
    }

    /// <summary>
    /// Reads <paramref name="stream"/> to its end. An announced <paramref name="knownLength"/> is reserved in full before
    /// the first byte (plus one, so the read that finds the end needs no growth): admission is all or nothing, so
    /// concurrent large bodies are served in turn instead of all failing halfway. Otherwise the buffer doubles as
    /// bytes arrive. <see cref="GrowResult.TooLarge"/> as soon as the stream proves longer than <see cref="MaxBytes"/>.
    /// </summary>
    public async ValueTask<GrowResult> ReadToEndAsync(Stream stream, long? knownLength, CancellationToken cancellationToken)
    {
        if (knownLength > MaxBytes - _count) return GrowResult.TooLarge;
        if (knownLength is { } length && TryEnsureFree((int)Math.Min(length + 1, MaxBytes - _count)) is var reserved && reserved != GrowResult.Ok)
            return reserved;
        while (true)
        {
            if (Free.Length == 0)
            {
                if (_count >= MaxBytes) return await stream.ReadAsync(new byte[1], cancellationToken) == 0 ? GrowResult.Ok : GrowResult.TooLarge;
                var more = TryEnsureFree(Math.Min(ReadSize, MaxBytes - _count));
                if (more != GrowResult.Ok) return more;
            }
            var read = await stream.ReadAsync(Free, cancellationToken);
            if (read == 0) return GrowResult.Ok;
            _count += read;
        }
    }

    /// <summary>Drops the first <paramref name="bytes"/> bytes, moving the rest to the front.</summary>
    public void DiscardPrefix(int bytes)
    {
        if (bytes == 0) return;
        _array.AsSpan(bytes, _count - bytes).CopyTo(_array);
        _count -= bytes;
    }

    public void Clear() => _count = 0;

    private void ReturnArray(bool release)
    {
        if (_capacity == 0) return;
        if (release) budget.Release(_capacity);
        if (_capacity <= SmallLimit) Small.Return(_array);
        else if (_capacity <= PooledLimit) ArrayPool<byte>.Shared.Return(_array);
    }

    public void Dispose()
    {
        ReturnArray(release: true);
        _array = [];
        _capacity = 0;
        _count = 0;
    }
}
