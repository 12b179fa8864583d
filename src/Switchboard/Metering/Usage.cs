using System.Text.Json;

namespace Switchboard.Metering;

/// <summary>Token counts of one request, as the upstream reported them.</summary>
public readonly record struct Usage(int PromptTokens, int CompletionTokens, int TotalTokens, int CachedTokens)
{
    /// <summary>Reads a <c>usage</c> object: chat/completions/embeddings names, and the images API's input/output names.</summary>
    public static Usage FromElement(JsonElement usage)
    {
        if (usage.ValueKind != JsonValueKind.Object) return default;
        var prompt = Int(usage, "prompt_tokens") ?? Int(usage, "input_tokens") ?? 0;
        var completion = Int(usage, "completion_tokens") ?? Int(usage, "output_tokens") ?? 0;
        var total = Int(usage, "total_tokens") ?? prompt + completion;
        var cached = 0;
        if (usage.TryGetProperty("prompt_tokens_details"u8, out var details) && details.ValueKind == JsonValueKind.Object)
            cached = Int(details, "cached_tokens") ?? 0;
        return new Usage(prompt, completion, total, cached);
    }

    /// <summary>Finds the top-level <c>usage</c> of a complete JSON response body, if any.</summary>
    public static Usage? FromResponseBody(ReadOnlySpan<byte> json)
    {
        if (json.IndexOf("\"usage\""u8) < 0) return null;
        var reader = new Utf8JsonReader(json);
        try
        {
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isUsage = reader.ValueTextEquals("usage"u8);
                reader.Read();
                if (isUsage)
                {
                    if (reader.TokenType != JsonTokenType.StartObject) return null;
                    using var doc = JsonDocument.ParseValue(ref reader);
                    return FromElement(doc.RootElement);
                }
                reader.Skip();
            }
        }
        catch (JsonException)
        {
            // An unreadable body is passed to the client as-is; it just has no usage to meter.
        }
        return null;
    }

    private static int? Int(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var n) ? n : null;
}
