using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Unicode;
using Switchboard.Buffers;
using Switchboard.Json;
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
    /// <summary>The upstream sent an error event: relay it normalised (<see cref="Errors.UpstreamError.FromEvent"/>) and end the stream.</summary>
    UpstreamError,
    /// <summary>Not a JSON object in valid UTF-8: no SDK could read it, so the stream ends with an error instead.</summary>
    Invalid,
    /// <summary>The rewrite would not fit in the process-wide buffer budget: the stream ends with a 503-style error.</summary>
    OverBudget,
}

/// <summary>
/// Checks each chunk of a chat/completions stream and normalises its usage. The gateway always asks the upstream
/// for usage, and upstreams differ in where they put it (a final <c>choices: []</c> chunk, a chunk that still has
/// choices, <c>choices: null</c>, or a running total on every chunk). This keeps the last usage seen, strips it
/// from content chunks, and — only for a client that asked with <c>stream_options.include_usage</c> — emits it
/// once, OpenAI-style, as a <c>choices: []</c> chunk just before <c>[DONE]</c>. Edits are byte splices, so
/// everything else in a chunk reaches the client exactly as the upstream sent it. Its two buffers (a rewritten
/// chunk, the last usage chunk) are charged to the buffer budget like every other.
/// </summary>
internal sealed class ChunkUsageFilter(bool clientWantsUsage, BufferBudget budget, int maxChunkBytes) : IDisposable
{
    private static readonly byte[] Null = "null"u8.ToArray();
    private static readonly byte[] EmptyArray = "[]"u8.ToArray();
    private static readonly byte[] AppendedChoices = ",\"choices\":[]"u8.ToArray();
    private ByteBuffer? _rewritten;
    private ByteBuffer? _usageChunk;
    private JsonPropertyRange _usageChunkChoices;

    public Usage? Usage { get; private set; }

    public ReadOnlySpan<byte> Rewritten => _rewritten is null ? default : _rewritten.WrittenSpan;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public ChunkAction Process(ReadOnlySpan<byte> chunk)
    {
        if (!Utf8.IsValid(chunk) || !ResponseMembers.TryScan(chunk, out var members)) return ChunkAction.Invalid;
        var usage = members.Usage;
        var choices = members.Choices;
        // "error": null is a field some servers put on every chunk, not an error.
        var isError = members.Error.Exists && members.Error.Kind != JsonTokenType.Null;
        if (isError) return ChunkAction.UpstreamError;
        if (!usage.Exists) return ChunkAction.Forward;

        if (usage.Kind == JsonTokenType.StartObject)
        {
            // Providers that send running totals are covered too: the last one wins.
            Usage = Metering.Usage.Read(chunk[usage.ValueStart..usage.End]);
            if (clientWantsUsage && !RememberUsageChunk(chunk, choices)) return ChunkAction.OverBudget;
            if (!JsonObjectScanner.IsNonEmptyArray(chunk, choices)) return ChunkAction.Drop;
        }
        else if (usage.Kind == JsonTokenType.Null && clientWantsUsage)
        {
            return ChunkAction.Forward;    // OpenAI's own content chunks carry "usage": null for such clients
        }
        // A content chunk keeps its choices; its usage becomes null for a client that asked, and goes otherwise.
        var edit = clientWantsUsage ? new JsonEdit(usage.ValueStart, usage.End, Null) : JsonEdit.RemoveProperty(chunk, usage);
        return Rewrite(chunk, [edit]) ? ChunkAction.ForwardRewritten : ChunkAction.OverBudget;
    }

    /// <summary>The final usage chunk for a client that asked for it (the last usage chunk, with <c>choices: []</c>), or empty.</summary>
    public ReadOnlySpan<byte> FinalUsageChunk()
    {
        if (!clientWantsUsage || _usageChunk is null) return default;
        var chunk = _usageChunk.WrittenSpan;
        var choices = _usageChunkChoices;
        var rewritten = Rewrite(chunk, choices.Exists
            ? [new JsonEdit(choices.ValueStart, choices.End, EmptyArray)]
            : [new JsonEdit(chunk.LastIndexOf((byte)'}'), chunk.LastIndexOf((byte)'}'), AppendedChoices)]);
        return rewritten ? Rewritten : default;
    }

    private bool RememberUsageChunk(ReadOnlySpan<byte> chunk, JsonPropertyRange choices)
    {
        _usageChunk ??= new ByteBuffer(budget, maxChunkBytes);
        _usageChunk.Clear();
        _usageChunkChoices = choices;
        return _usageChunk.TryWrite(chunk) == GrowResult.Ok;
    }

    /// <summary>Applies <paramref name="edits"/> into <see cref="Rewritten"/>; false when the budget has no room for it.</summary>
    private bool Rewrite(ReadOnlySpan<byte> chunk, ReadOnlySpan<JsonEdit> edits)
    {
        var length = JsonEdit.EditedLength(chunk.Length, edits);
        // The edits add at most a few bytes to a chunk of at most the event limit.
        _rewritten ??= new ByteBuffer(budget, maxChunkBytes + 64);
        _rewritten.Clear();
        if (_rewritten.TryEnsureFree(length) != GrowResult.Ok) return false;
        JsonEdit.Apply(chunk, edits, _rewritten.Free.Span);
        _rewritten.Advance(length);
        return true;
    }

    public void Dispose()
    {
        _rewritten?.Dispose();
        _usageChunk?.Dispose();
    }
}
