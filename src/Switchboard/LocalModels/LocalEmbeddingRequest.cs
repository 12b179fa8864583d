using System.Text.Json;
using Switchboard.Errors;

namespace Switchboard.LocalModels;

/// <summary>
/// What <c>/v1/embeddings</c> asks of a local model: the inputs (a string, strings, a token array or token arrays),
/// <c>encoding_format</c> (<c>float</c> or <c>base64</c>) and <c>dimensions</c> (only the model's own width).
/// </summary>
internal sealed record LocalEmbeddingRequest(IReadOnlyList<string>? Texts, IReadOnlyList<int[]>? TokenArrays, bool Base64, int? Dimensions)
{
    public const int MaxInputs = 2048;

    public int Count => Texts?.Count ?? TokenArrays!.Count;

    public static (LocalEmbeddingRequest? Request, OpenAiError? Error) Read(ReadOnlyMemory<byte> body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var input = root.GetProperty("input");
        List<string>? texts = null;
        List<int[]>? tokens = null;
        switch (input.ValueKind)
        {
            case JsonValueKind.String:
                texts = [input.GetString()!];
                break;
            case JsonValueKind.Array when input.GetArrayLength() is > 0 and <= MaxInputs:
                var first = input[0];
                if (first.ValueKind == JsonValueKind.String && input.EnumerateArray().All(i => i.ValueKind == JsonValueKind.String))
                    texts = [.. input.EnumerateArray().Select(i => i.GetString()!)];
                else if (first.ValueKind == JsonValueKind.Number && TokenArray(input) is { } single)
                    tokens = [single];
                else if (first.ValueKind == JsonValueKind.Array && input.EnumerateArray().Select(TokenArray).ToList() is var arrays && arrays.All(a => a is not null))
                    tokens = [.. arrays.Select(a => a!)];
                break;
        }
        if (texts is null && tokens is null)
            return (null, GatewayErrors.InvalidValue("input", $"it must be a string, 1 to {MaxInputs} strings, an array of token ids, or 1 to {MaxInputs} such arrays, none empty."));
        if (texts is not null && texts.Any(t => t.Length == 0)) return (null, GatewayErrors.InvalidValue("input", "an input is empty: there is nothing to embed."));
        var base64 = false;
        if (root.TryGetProperty("encoding_format", out var format) && format.ValueKind != JsonValueKind.Null)
        {
            if (format.ValueKind != JsonValueKind.String || format.GetString() is not ("float" or "base64"))
                return (null, GatewayErrors.InvalidValue("encoding_format", "it must be \"float\" or \"base64\"."));
            base64 = format.GetString() == "base64";
        }
        int? dimensions = null;
        if (root.TryGetProperty("dimensions", out var given) && given.ValueKind != JsonValueKind.Null)
        {
            if (!given.TryGetInt32(out var value) || value < 1) return (null, GatewayErrors.InvalidValue("dimensions", "it must be a positive whole number."));
            dimensions = value;
        }
        return (new LocalEmbeddingRequest(texts, tokens, base64, dimensions), null);
    }

    private static int[]? TokenArray(JsonElement array)
    {
        if (array.ValueKind != JsonValueKind.Array || array.GetArrayLength() == 0) return null;
        var tokens = new int[array.GetArrayLength()];
        var i = 0;
        foreach (var item in array.EnumerateArray())
        {
            if (!item.TryGetInt32(out var token) || token < 0) return null;
            tokens[i++] = token;
        }
        return tokens;
    }
}
