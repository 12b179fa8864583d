using System.Text;

namespace Switchboard.Inference.Tokenizers;

/// <summary>
/// Turns a stream of byte pieces into text that never ends inside a UTF-8 sequence: complete characters
/// are returned as soon as they are whole, an incomplete tail is held back until its next bytes arrive.
/// Bytes that can never form a character become U+FFFD, as a UTF-8 decoder would make them.
/// </summary>
public sealed class Utf8Assembler
{
    private readonly Decoder _decoder = new UTF8Encoding(false, throwOnInvalidBytes: false).GetDecoder();
    private readonly char[] _chars = new char[1024];

    public string Append(ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty) return "";
        var text = new StringBuilder();
        while (!bytes.IsEmpty)
        {
            var take = Math.Min(bytes.Length, 256);
            var count = _decoder.GetChars(bytes[..take], _chars, flush: false);
            text.Append(_chars, 0, count);
            bytes = bytes[take..];
        }
        return text.ToString();
    }

    /// <summary>Whatever is still held back, as replacement characters (end of stream).</summary>
    public string Flush()
    {
        var count = _decoder.GetChars([], _chars, flush: true);
        return new string(_chars, 0, count);
    }
}
