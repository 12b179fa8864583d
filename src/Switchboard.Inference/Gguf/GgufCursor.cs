using System.Runtime.CompilerServices;
using System.Text;

namespace Switchboard.Inference.Gguf;

/// <summary>
/// A bounds-checked little-endian reader over the mapped file. Every read states what it reads, so a
/// truncated or corrupt file fails with the offset and the field, never with an out-of-range access.
/// </summary>
internal unsafe struct GgufCursor(byte* data, long length)
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public long Position { get; set; }
    public readonly long Remaining => length - Position;

    public T Read<T>(string what) where T : unmanaged
    {
        Need(sizeof(T), what);
        var value = Unsafe.ReadUnaligned<T>(data + Position);
        Position += sizeof(T);
        return value;
    }

    public string ReadString(string what)
    {
        var at = Position;
        var size = Read<ulong>($"the length of {what}");
        if (size > (ulong)Remaining)
            throw new GgufException($"{what} at offset {at} claims {size} bytes but only {Remaining} remain.");
        if (size > int.MaxValue)
            throw new GgufException($"{what} at offset {at} is {size} bytes long, beyond any sane string.");
        try
        {
            var text = StrictUtf8.GetString(data + Position, (int)size);
            Position += (long)size;
            return text;
        }
        catch (DecoderFallbackException)
        {
            throw new GgufException($"{what} at offset {at} is not valid UTF-8.");
        }
    }

    /// <summary>Fails unless at least <paramref name="count"/> items of <paramref name="minBytesEach"/> bytes could still follow.</summary>
    public readonly void CheckCount(ulong count, long minBytesEach, string what)
    {
        if (count > (ulong)(Remaining / minBytesEach))
            throw new GgufException($"{what} is {count} at offset {Position}, more than the {Remaining} remaining bytes could hold.");
    }

    private readonly void Need(long bytes, string what)
    {
        if (Remaining < bytes)
            throw new GgufException($"The file is truncated: {what} needs {bytes} bytes at offset {Position}, but the file ends at {length}.");
    }
}
