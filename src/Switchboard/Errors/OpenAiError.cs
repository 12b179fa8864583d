using System.Text.Encodings.Web;
using System.Text.Json;

namespace Switchboard.Errors;

/// <summary>
/// An error in OpenAI's wire shape: <c>{"error":{"message","type","param","code"}}</c>, all four keys always present.
/// </summary>
public sealed record OpenAiError(int Status, string Message, string Type, string? Param = null, string? Code = null)
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>False when retrying the same request cannot succeed; sent as <c>x-should-retry</c>.</summary>
    public bool? ShouldRetry { get; init; }

    /// <summary>Seconds after which a retry may succeed; sent as <c>retry-after</c>.</summary>
    public int? RetryAfterSeconds { get; init; }

    /// <summary>More response headers: an upstream's own retry guidance passed on with its error, <c>Allow</c> on a 405.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Headers { get; init; } = [];

    public byte[] ToJsonBytes()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            WriteTo(writer);
        }
        return buffer.WrittenSpan.ToArray();
    }

    public void WriteTo(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("error"u8);
        writer.WriteString("message"u8, Message);
        writer.WriteString("type"u8, Type);
        if (Param is null) writer.WriteNull("param"u8); else writer.WriteString("param"u8, Param);
        if (Code is null) writer.WriteNull("code"u8); else writer.WriteString("code"u8, Code);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }
}
