using System.Buffers;
using System.IO.Pipelines;

namespace Switchboard.Streaming;

/// <summary>Writes SSE responses straight into the response pipe.</summary>
internal static class SseWriter
{
    private const int SingleSpanLimit = 4096;

    /// <summary>Status and the headers every relayed event stream carries.</summary>
    public static void StartResponse(HttpResponse response, int status)
    {
        response.StatusCode = status;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
    }

    /// <summary>Whether <see cref="WriteData"/> writes <paramref name="data"/> in several pieces rather than one span.</summary>
    public static bool NeedsSeveralSpans(ReadOnlySpan<byte> data) => 8 + data.Length > SingleSpanLimit || data.IndexOf((byte)'\n') >= 0;

    /// <summary>Writes <c>data: …\n\n</c> (a <c>data:</c> line for each line of <paramref name="data"/>); returns the bytes written.</summary>
    public static int WriteData(PipeWriter writer, ReadOnlySpan<byte> data)
    {
        // Data that arrived on several data lines keeps them: a line without its "data: " would be dropped by the client.
        if (data.IndexOf((byte)'\n') >= 0) return WriteLines(writer, data);
        var length = 6 + data.Length + 2;
        if (length > SingleSpanLimit)
        {
            // A large event goes in pieces, so the pipe never has to find one segment of its size.
            writer.Write("data: "u8);
            writer.Write(data);
            writer.Write("\n\n"u8);
            return length;
        }
        var span = writer.GetSpan(length);
        "data: "u8.CopyTo(span);
        data.CopyTo(span[6..]);
        span[6 + data.Length] = (byte)'\n';
        span[7 + data.Length] = (byte)'\n';
        writer.Advance(length);
        return length;
    }

    public static int WriteDone(PipeWriter writer) => WriteData(writer, "[DONE]"u8);

    private static int WriteLines(PipeWriter writer, ReadOnlySpan<byte> data)
    {
        var written = 0;
        foreach (var range in data.Split((byte)'\n'))
        {
            writer.Write("data: "u8);
            writer.Write(data[range]);
            writer.Write("\n"u8);
            written += 7 + (range.End.Value - range.Start.Value);
        }
        writer.Write("\n"u8);
        return written + 1;
    }
}
