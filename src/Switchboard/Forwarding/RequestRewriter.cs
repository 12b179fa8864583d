using System.Text.Encodings.Web;
using System.Text.Json;
using Switchboard.Buffers;

namespace Switchboard.Forwarding;

/// <summary>
/// Writes the body sent upstream: the client's JSON with every field it sent kept as is (fields the
/// gateway does not know pass through), <c>model</c> set to the provider's name for it, and — on
/// streams that carry usage — <c>stream_options.include_usage</c> forced on so every stream can be metered.
/// </summary>
internal static class RequestRewriter
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

    public static void Write(ProxyRequest request, string upstreamModel, PooledBufferWriter output)
    {
        var forceUsage = request.Stream && request.Endpoint.HasUsageStream;
        using var writer = new Utf8JsonWriter(output, WriterOptions);
        writer.WriteStartObject();
        var wroteModel = false;
        var wroteStreamOptions = false;
        foreach (var property in request.Document.RootElement.EnumerateObject())
        {
            if (property.NameEquals("model"u8))
            {
                writer.WriteString("model"u8, upstreamModel);
                wroteModel = true;
            }
            else if (forceUsage && property.NameEquals("stream_options"u8) && property.Value.ValueKind == JsonValueKind.Object)
            {
                writer.WriteStartObject("stream_options"u8);
                foreach (var option in property.Value.EnumerateObject())
                {
                    if (!option.NameEquals("include_usage"u8)) option.WriteTo(writer);
                }
                writer.WriteBoolean("include_usage"u8, true);
                writer.WriteEndObject();
                wroteStreamOptions = true;
            }
            else
            {
                property.WriteTo(writer);
            }
        }
        if (!wroteModel) writer.WriteString("model"u8, upstreamModel);
        if (forceUsage && !wroteStreamOptions)
        {
            writer.WriteStartObject("stream_options"u8);
            writer.WriteBoolean("include_usage"u8, true);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }
}
