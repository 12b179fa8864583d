using System.IO.Pipelines;

namespace Switchboard.Streaming;

/// <summary>Writes SSE <c>data:</c> events straight into the response pipe.</summary>
internal static class SseWriter
{
    public const string ContentType = "text/event-stream; charset=utf-8";

    public static void WriteData(PipeWriter writer, ReadOnlySpan<byte> data)
    {
        var length = 6 + data.Length + 2;
        var span = writer.GetSpan(length);
        "data: "u8.CopyTo(span);
        data.CopyTo(span[6..]);
        span[6 + data.Length] = (byte)'\n';
        span[7 + data.Length] = (byte)'\n';
        writer.Advance(length);
    }

    public static void WriteDone(PipeWriter writer) => WriteData(writer, "[DONE]"u8);
}
