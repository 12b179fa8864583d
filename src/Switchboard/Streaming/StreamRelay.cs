using Switchboard.Buffers;
using Switchboard.Errors;
using Switchboard.Forwarding;
using Switchboard.Metering;

namespace Switchboard.Streaming;

/// <summary>How a relayed stream ended.</summary>
internal enum StreamEnd { Completed, UpstreamFailed, ClientGone }

/// <summary>
/// The end of a relayed stream, the usage it reported, an unexpected fault to log (already reported to the client as an
/// error event), and when its first token was written (a <see cref="System.Diagnostics.Stopwatch"/> timestamp, 0 if none was).
/// </summary>
internal readonly record struct StreamResult(StreamEnd End, Usage? Usage, Exception? Fault = null)
{
    public long FirstTokenAt { get; init; }

    /// <summary>Content events relayed: what an abandoned stream's output is estimated from when its usage never came.</summary>
    public int Events { get; init; }
}

/// <summary>
/// Relays an upstream chat/completions SSE stream to the client event by event as it arrives. Event data is
/// relayed as the upstream's bytes, so multi-byte UTF-8 split across TCP reads is reassembled by the reader
/// before anything is written and never reaches the client split or re-encoded. A slow client slows the upstream:
/// the relay awaits the response pipe at least every <see cref="FlushThreshold"/> bytes, and reads the upstream
/// only after that, so what one stream holds is bounded by the pipe, the reader's buffer and the filter's two
/// buffers — each at most one event, all charged to the buffer budget.
/// </summary>
internal static class StreamRelay
{
    private const int FlushThreshold = 32 * 1024;

    public static async Task<StreamResult> RelayAsync(HttpResponse response, StreamingResponse upstream, bool clientWantsUsage,
        BufferBudget budget, int maxEventBytes, CancellationToken clientAborted)
    {
        SseWriter.StartResponse(response, StatusCodes.Status200OK);
        var writer = response.BodyWriter;
        using var filter = new ChunkUsageFilter(clientWantsUsage, budget, maxEventBytes);
        var events = upstream.Events;
        var provider = upstream.Upstream.Name;
        OpenAiError? failure = null;
        var sawDone = false;
        Exception? fault = null;
        var unflushed = 0;
        long firstAt = 0;
        var relayed = 0;
        try
        {
            var status = SseReadStatus.Event;    // the forwarder has already read the first event
            while (status == SseReadStatus.Event)
            {
                var data = events.Data.Span;
                if (data.SequenceEqual("[DONE]"u8))
                {
                    sawDone = true;
                    break;
                }
                // An empty event (a bare "data:" line) carries nothing to relay; some servers send them as keep-alives.
                var action = data.IsEmpty ? ChunkAction.Drop : filter.Process(data);
                if (action is ChunkAction.Invalid or ChunkAction.OverBudget)
                {
                    failure = action == ChunkAction.Invalid ? GatewayErrors.UpstreamBadEvent(provider) : GatewayErrors.Overloaded();
                    break;
                }
                if (action == ChunkAction.UpstreamError)
                {
                    // Its shape varies by server and its text may echo the provider's key: it ends the stream in ours.
                    failure = UpstreamError.FromEvent(provider, upstream.Upstream.Options.ApiKey, data);
                    break;
                }
                if (action is ChunkAction.Forward or ChunkAction.ForwardRewritten)
                {
                    // Kestrel hands out placeholder memory until a response has started, and an event written across
                    // several spans before that arrives mangled: such an event (large, or on several lines) starts it first.
                    if (!response.HasStarted && SseWriter.NeedsSeveralSpans(action == ChunkAction.ForwardRewritten ? filter.Rewritten : data))
                        await response.StartAsync(clientAborted);
                    unflushed += SseWriter.WriteData(writer, action == ChunkAction.ForwardRewritten ? filter.Rewritten : events.Data.Span);
                    if (relayed++ == 0) firstAt = System.Diagnostics.Stopwatch.GetTimestamp();
                }
                // Flush when about to wait for the upstream (events that arrived together leave in one write) or when
                // enough has piled up; awaiting the flush is what lets a client that does not read slow the upstream.
                if (unflushed >= FlushThreshold || !events.HasBufferedEvent)
                {
                    unflushed = 0;
                    var flushed = await writer.FlushAsync(clientAborted);
                    if (flushed.IsCanceled || flushed.IsCompleted) return new StreamResult(StreamEnd.ClientGone, filter.Usage) { FirstTokenAt = firstAt, Events = relayed };
                }
                status = await events.ReadAsync(clientAborted);
            }
            if (!sawDone) failure ??= status switch
            {
                SseReadStatus.TooLarge => GatewayErrors.UpstreamEventTooLarge(provider),
                SseReadStatus.OverBudget => GatewayErrors.Overloaded(),
                _ => GatewayErrors.UpstreamStreamBroken(provider),
            };
        }
        catch (OperationCanceledException) when (clientAborted.IsCancellationRequested)
        {
            return new StreamResult(StreamEnd.ClientGone, filter.Usage) { FirstTokenAt = firstAt, Events = relayed };
        }
        catch (UpstreamTimeoutException e)
        {
            failure = GatewayErrors.UpstreamTimeout(provider, e.Phase("next chunk"));
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            failure = GatewayErrors.UpstreamStreamBroken(provider);
        }
        catch (Exception e)
        {
            // Whatever goes wrong is reported as an error event, never as a status: events may already sit unflushed
            // in the response, and a status written after them would corrupt it.
            fault = e;
            failure = GatewayErrors.Internal();
        }

        try
        {
            // Like any write in pieces, the closing events need a started response (see above).
            if (!response.HasStarted) await response.StartAsync(clientAborted);
            if (failure is not null)
            {
                // After the first byte the status is sent; OpenAI reports the error as an event instead.
                SseWriter.WriteData(writer, failure.ToJsonBytes());
            }
            else if (sawDone)
            {
                var usageChunk = filter.FinalUsageChunk();
                if (!usageChunk.IsEmpty) SseWriter.WriteData(writer, usageChunk);
                SseWriter.WriteDone(writer);
            }
            await writer.FlushAsync(clientAborted);
        }
        catch (Exception e) when (clientAborted.IsCancellationRequested || e is IOException)
        {
            return new StreamResult(StreamEnd.ClientGone, filter.Usage) { FirstTokenAt = firstAt, Events = relayed };
        }
        return new StreamResult(failure is null ? StreamEnd.Completed : StreamEnd.UpstreamFailed, filter.Usage, fault) { FirstTokenAt = firstAt, Events = relayed };
    }

    /// <summary>
    /// Relays an SSE body the gateway does not interpret, flushing after every read. As it may fail in the middle of an
    /// event, where no error event can be put, a failed upstream aborts the client's connection, so the client sees
    /// a broken stream rather than one that seems to have ended.
    /// </summary>
    public static async Task<StreamEnd> RelayRawAsync(HttpResponse response, RawStreamResponse upstream, CancellationToken clientAborted)
    {
        SseWriter.StartResponse(response, (int)upstream.Message.StatusCode);
        var writer = response.BodyWriter;
        try
        {
            while (true)
            {
                var read = await upstream.Body.ReadAsync(writer.GetMemory(8192), clientAborted);
                if (read == 0) return StreamEnd.Completed;
                writer.Advance(read);
                var flushed = await writer.FlushAsync(clientAborted);
                if (flushed.IsCanceled || flushed.IsCompleted) return StreamEnd.ClientGone;
            }
        }
        catch (OperationCanceledException) when (clientAborted.IsCancellationRequested)
        {
            return StreamEnd.ClientGone;
        }
        catch (Exception e) when (e is IOException or HttpRequestException or TimeoutException)
        {
            response.HttpContext.Abort();
            return StreamEnd.UpstreamFailed;
        }
    }
}
