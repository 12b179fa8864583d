using System.Text.Encodings.Web;
using System.Text.Json;
using Switchboard.Buffers;
using Switchboard.Metering;

namespace Switchboard.Streaming;

/// <summary>What to do with one upstream stream chunk.</summary>
internal enum ChunkAction
{
    /// <summary>Relay the upstream bytes unchanged.</summary>
    Forward,
    /// <summary>Relay the rewritten bytes in <see cref="ChunkUsageFilter.Rewritten"/>.</summary>
    ForwardRewritten,
    /// <summary>Relay nothing: the chunk only carried usage.</summary>
    Drop,
}

/// <summary>
/// Normalises usage in a chat/completions stream. The gateway always asks the upstream for usage, and
/// upstreams differ in where they put it (a final <c>choices: []</c> chunk, a chunk that still has
/// choices, <c>choices: null</c>, or a running total on every chunk). This keeps the last usage seen,
/// strips it from content chunks, and — only for a client that asked with <c>stream_options.include_usage</c> —
/// emits it once, OpenAI-style, as a <c>choices: []</c> chunk just before <c>[DONE]</c>.
/// Chunks without usage are relayed as the exact upstream bytes (the common, fast path).
/// </summary>
internal sealed class ChunkUsageFilter(bool clientWantsUsage) : IDisposable
{
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly PooledBufferWriter _rewritten = new(1024);
    private byte[]? _lastUsageChunk;

    public Usage? Usage { get; private set; }

    public ReadOnlyMemory<byte> Rewritten => _rewritten.WrittenMemory;

    public ChunkAction Process(ReadOnlySpan<byte> chunk)
    {
        var at = chunk.IndexOf("\"usage\""u8);
        if (at < 0) return ChunkAction.Forward;
        if (chunk[at..].StartsWith("\"usage\":null"u8))
            return clientWantsUsage ? ChunkAction.Forward : SpliceOutNullUsage(chunk, at);
        return ProcessSlow(chunk);
    }

    private ChunkAction SpliceOutNullUsage(ReadOnlySpan<byte> chunk, int at)
    {
        var end = at + "\"usage\":null".Length;
        int from = at, to = end;
        if (at > 0 && chunk[at - 1] == (byte)',') from = at - 1;
        else if (end < chunk.Length && chunk[end] == (byte)',') to = end + 1;
        _rewritten.Clear();
        _rewritten.Write(chunk[..from]);
        _rewritten.Write(chunk[to..]);
        return ChunkAction.ForwardRewritten;
    }

    private ChunkAction ProcessSlow(ReadOnlySpan<byte> chunk)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(chunk);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException)
        {
            return ChunkAction.Forward;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("usage"u8, out var usage))
                return ChunkAction.Forward;
            if (usage.ValueKind == JsonValueKind.Object)
            {
                // Providers that send running totals are covered too: the last one wins.
                Usage = Metering.Usage.FromElement(usage);
                _lastUsageChunk = chunk.ToArray();
                var hasChoices = root.TryGetProperty("choices"u8, out var choices) &&
                                 choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0;
                if (!hasChoices) return ChunkAction.Drop;
            }
            else if (clientWantsUsage)
            {
                return ChunkAction.Forward;
            }
            _rewritten.Clear();
            using var writer = new Utf8JsonWriter(_rewritten, WriterOptions);
            writer.WriteStartObject();
            foreach (var property in root.EnumerateObject())
            {
                if (property.NameEquals("usage"u8))
                {
                    if (clientWantsUsage) writer.WriteNull("usage"u8);
                    continue;
                }
                property.WriteTo(writer);
            }
            writer.WriteEndObject();
            writer.Flush();
            return ChunkAction.ForwardRewritten;
        }
    }

    /// <summary>The final usage chunk for a client that asked for it, or null.</summary>
    public byte[]? BuildFinalUsageChunk()
    {
        if (!clientWantsUsage || _lastUsageChunk is null) return null;
        using var document = JsonDocument.Parse(_lastUsageChunk);
        var root = document.RootElement;
        var output = new System.Buffers.ArrayBufferWriter<byte>(_lastUsageChunk.Length);
        using (var writer = new Utf8JsonWriter(output, WriterOptions))
        {
            writer.WriteStartObject();
            var wroteChoices = false;
            foreach (var property in root.EnumerateObject())
            {
                if (property.NameEquals("usage"u8)) continue;
                if (property.NameEquals("choices"u8))
                {
                    writer.WriteStartArray("choices"u8);
                    writer.WriteEndArray();
                    wroteChoices = true;
                    continue;
                }
                property.WriteTo(writer);
            }
            if (!wroteChoices)
            {
                writer.WriteStartArray("choices"u8);
                writer.WriteEndArray();
            }
            writer.WritePropertyName("usage"u8);
            root.GetProperty("usage"u8).WriteTo(writer);
            writer.WriteEndObject();
        }
        return output.WrittenSpan.ToArray();
    }

    public void Dispose() => _rewritten.Dispose();
}
