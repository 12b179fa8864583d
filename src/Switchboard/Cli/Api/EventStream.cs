using System.ClientModel.Primitives;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Switchboard.Cli.Api;

/// <summary>
/// The events of a streamed answer read through the SDK's pipeline (for what its typed clients do not stream): each
/// event's data, raw and parsed, until <c>[DONE]</c>. An error event, or an end without <c>[DONE]</c>, is a failure,
/// so a cut-short answer never looks complete.
/// </summary>
internal static class EventStream
{
    public static async IAsyncEnumerable<(string Raw, JsonElement Json)> ReadAsync(PipelineMessage message, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (var item in SseParser.Create(message.Response!.ContentStream!).EnumerateAsync(cancellationToken))
        {
            if (item.Data == "[DONE]") yield break;
            JsonElement json;
            try
            {
                using var document = JsonDocument.Parse(item.Data);
                json = document.RootElement.Clone();
            }
            catch (JsonException e)
            {
                throw new StreamFailedException($"an event was not JSON ({e.Message})");
            }
            if (json.ValueKind == JsonValueKind.Object && json.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object)
                throw new StreamFailedException(error.TryGetProperty("message", out var text) && text.ValueKind == JsonValueKind.String ? text.GetString()! : error.GetRawText());
            yield return (item.Data, json);
        }
        throw new StreamFailedException("the stream ended before [DONE]");
    }
}

/// <summary>A streamed answer that failed part-way (an error event, or no <c>[DONE]</c>).</summary>
internal sealed class StreamFailedException(string message) : Exception(message);
