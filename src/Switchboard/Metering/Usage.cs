using System.Text.Json;
using Switchboard.Json;

namespace Switchboard.Metering;

/// <summary>Token counts of one request, as the upstream reported them.</summary>
public readonly record struct Usage(int PromptTokens, int CompletionTokens, int TotalTokens, int CachedTokens, int ReasoningTokens = 0)
{
    /// <summary>
    /// Reads a <c>usage</c> object (<paramref name="json"/> is exactly its text): the chat, completions and embeddings
    /// names, and the images API's <c>input_tokens</c>/<c>output_tokens</c>. Fields it cannot read count as 0.
    /// </summary>
    public static Usage Read(ReadOnlySpan<byte> json)
    {
        int? prompt = null, completion = null, total = null, input = null, output = null, cached = null, reasoning = null;
        var scanner = new JsonObjectScanner(json);
        if (!scanner.TryReadStart()) return default;
        while (scanner.MoveNext())
        {
            var field = Field(ref scanner);
            var value = scanner.ReadValue();
            if (field == "prompt_tokens_details")
            {
                if (value.Kind == JsonTokenType.StartObject) cached = ReadDetail(json[value.ValueStart..value.End], "cached_tokens"u8);
                continue;
            }
            if (field == "completion_tokens_details")
            {
                if (value.Kind == JsonTokenType.StartObject) reasoning = ReadDetail(json[value.ValueStart..value.End], "reasoning_tokens"u8);
                continue;
            }
            if (field is null || value.Kind != JsonTokenType.Number) continue;
            var count = scanner.TryGetCount();
            switch (field)
            {
                case "prompt_tokens": prompt = count; break;
                case "completion_tokens": completion = count; break;
                case "total_tokens": total = count; break;
                case "input_tokens": input = count; break;
                case "output_tokens": output = count; break;
            }
        }
        var p = prompt ?? input ?? 0;
        var c = completion ?? output ?? 0;
        return new Usage(p, c, total ?? p + c, cached ?? 0, reasoning ?? 0);
    }

    private static string? Field(ref JsonObjectScanner scanner)
    {
        foreach (var name in Fields)
        {
            if (scanner.NameIs(name.Utf8)) return name.Text;
        }
        return null;
    }

    private static readonly (string Text, byte[] Utf8)[] Fields = [.. new[]
    {
        "prompt_tokens", "completion_tokens", "total_tokens", "input_tokens", "output_tokens", "prompt_tokens_details", "completion_tokens_details",
    }.Select(name => (name, System.Text.Encoding.UTF8.GetBytes(name)))];

    private static int? ReadDetail(ReadOnlySpan<byte> details, ReadOnlySpan<byte> name)
    {
        var scanner = new JsonObjectScanner(details);
        scanner.TryReadStart();
        int? count = null;
        while (scanner.MoveNext())
        {
            var isWanted = scanner.NameIs(name);
            var value = scanner.ReadValue();
            if (isWanted && value.Kind == JsonTokenType.Number) count = scanner.TryGetCount();
        }
        return count;
    }
}
