using System.Net.ServerSentEvents;
using Switchboard.Buffers;
using Switchboard.Errors;
using Switchboard.Providers;
using Switchboard.Streaming;

namespace Switchboard.Forwarding;

/// <summary>What forwarding produced, as a value (no exceptions for control flow): YARP's ForwarderError idea.</summary>
internal abstract record ForwardOutcome(UpstreamProvider? Provider) : IDisposable
{
    public abstract void Dispose();
}

/// <summary>A complete upstream response (success or an upstream error to pass through), read into a pooled buffer.</summary>
internal sealed record BufferedResponse(UpstreamProvider Provider, HttpResponseMessage Message, PooledBufferWriter Body) : ForwardOutcome(Provider)
{
    public int Status => (int)Message.StatusCode;

    public override void Dispose()
    {
        Body.Dispose();
        Message.Dispose();
    }
}

/// <summary>An upstream SSE stream whose first event has already arrived (so nothing was committed to the client before it did).</summary>
internal sealed record StreamingResponse(UpstreamProvider Provider, HttpResponseMessage Message, Stream Body, IAsyncEnumerator<SseItem<SseChunk>> Events) : ForwardOutcome(Provider)
{
    public override void Dispose()
    {
        // Disposing the message before the body is drained closes the upstream connection: that is how a client's
        // disconnect reaches the upstream.
        Message.Dispose();
        _ = Events.DisposeAsync().AsTask();
        Body.Dispose();
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

/// <summary>The gateway's own error: no provider answered usably.</summary>
internal sealed record FailedResponse(UpstreamProvider? Provider, OpenAiError Error) : ForwardOutcome(Provider)
{
    public override void Dispose() { }
}
