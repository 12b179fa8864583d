using System.Buffers;

namespace Switchboard.Streaming;

/// <summary>The data of one SSE event, copied into a pooled array (the parser's span only lives for its callback).</summary>
internal readonly struct SseChunk(byte[] array, int length) : IDisposable
{
    public ReadOnlySpan<byte> Span => array.AsSpan(0, length);
    public ReadOnlyMemory<byte> Memory => array.AsMemory(0, length);
    public bool IsDone => Span.SequenceEqual("[DONE]"u8);

    public static SseChunk Copy(string eventType, ReadOnlySpan<byte> data)
    {
        _ = eventType;
        var array = ArrayPool<byte>.Shared.Rent(Math.Max(data.Length, 16));
        data.CopyTo(array);
        return new SseChunk(array, data.Length);
    }

    public void Dispose()
    {
        if (array is not null) ArrayPool<byte>.Shared.Return(array);
    }
}
