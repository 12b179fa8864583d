using Switchboard.Buffers;
using Switchboard.Errors;
using Switchboard.LocalModels;
using Switchboard.Metering;
using Switchboard.Providers;
using Switchboard.Streaming;

namespace Switchboard.Forwarding;

/// <summary>What forwarding produced, as a value (no exceptions for control flow): YARP's ForwarderError idea.</summary>
internal abstract record ForwardOutcome(Provider? Provider) : IDisposable
{
    /// <summary>The model name the provider was asked for (after aliases and fallback), for the ledger.</summary>
    public string? ServedModel { get; set; }

    public abstract void Dispose();
}

/// <summary>A complete successful response (an upstream's or a local model's): a JSON object, in a buffer, with its usage.</summary>
internal sealed record BufferedResponse(Provider Provider, int Status, ByteBuffer Body, Usage? Usage, IReadOnlyList<KeyValuePair<string, string>> Headers)
    : ForwardOutcome(Provider)
{
    public override void Dispose() => Body.Dispose();
}

/// <summary>An upstream SSE stream whose first event has already been read (so nothing was committed to the client before it arrived).</summary>
internal sealed record StreamingResponse(UpstreamProvider Upstream, HttpResponseMessage Message, SseReader Events) : ForwardOutcome(Upstream)
{
    public override void Dispose()
    {
        // Disposing the message before the body is drained closes the upstream connection: that is how a client's
        // disconnect reaches the upstream.
        Message.Dispose();
        Events.Dispose();
    }
}

/// <summary>An upstream body relayed as raw bytes (SSE the gateway does not interpret, e.g. image streams).</summary>
internal sealed record RawStreamResponse(UpstreamProvider Upstream, HttpResponseMessage Message, Stream Body) : ForwardOutcome(Upstream)
{
    public override void Dispose()
    {
        Body.Dispose();
        Message.Dispose();
    }
}

/// <summary>A local model's generation, streamed as it goes.</summary>
internal sealed record LocalStreamResponse(Provider Provider, LocalGeneration Generation) : ForwardOutcome(Provider)
{
    public override void Dispose() => Generation.Dispose();
}

/// <summary>An error for the client: the gateway's own, or an upstream's normalised to OpenAI's shape.</summary>
internal sealed record FailedResponse(Provider? Provider, OpenAiError Error) : ForwardOutcome(Provider)
{
    public override void Dispose() { }
}
