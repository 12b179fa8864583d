using Switchboard.Buffers;
using Switchboard.Errors;
using Switchboard.Metering;
using Switchboard.Providers;
using Switchboard.Streaming;

namespace Switchboard.Forwarding;

/// <summary>What forwarding produced, as a value (no exceptions for control flow): YARP's ForwarderError idea.</summary>
internal abstract record ForwardOutcome(UpstreamProvider? Provider) : IDisposable
{
    public abstract void Dispose();
}

/// <summary>A complete successful upstream response: a JSON object, read into a buffer, with its usage.</summary>
internal sealed record BufferedResponse(UpstreamProvider Provider, int Status, ByteBuffer Body, Usage? Usage, IReadOnlyList<KeyValuePair<string, string>> Headers)
    : ForwardOutcome(Provider)
{
    public override void Dispose() => Body.Dispose();
}

/// <summary>An upstream SSE stream whose first event has already been read (so nothing was committed to the client before it arrived).</summary>
internal sealed record StreamingResponse(UpstreamProvider Provider, HttpResponseMessage Message, SseReader Events) : ForwardOutcome(Provider)
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
internal sealed record RawStreamResponse(UpstreamProvider Provider, HttpResponseMessage Message, Stream Body) : ForwardOutcome(Provider)
{
    public override void Dispose()
    {
        Body.Dispose();
        Message.Dispose();
    }
}

/// <summary>An error for the client: the gateway's own, or an upstream's normalised to OpenAI's shape.</summary>
internal sealed record FailedResponse(UpstreamProvider? Provider, OpenAiError Error) : ForwardOutcome(Provider)
{
    public override void Dispose() { }
}
