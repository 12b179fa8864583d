using Switchboard.Errors;
using Switchboard.Forwarding;
using Switchboard.Metering;

namespace Switchboard.Streaming;

/// <summary>How a relayed stream ended.</summary>
internal enum StreamEnd { Completed, UpstreamFailed, ClientGone }

/// <summary>
/// Relays an upstream chat/completions SSE stream to the client event by event as it arrives. Event data is copied as raw bytes, so multi-byte UTF-8 split across TCP reads is reassembled by the
/// SSE parser before anything is written and never reaches the client split or re-encoded.
/// </summary>
internal static class StreamRelay
{
    public static async Task<(StreamEnd End, Usage? Usage)> RelayAsync(HttpResponse response, StreamingResponse upstream, bool clientWantsUsage, CancellationToken clientAborted)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = SseWriter.ContentType;
        response.Headers.CacheControl = "no-cache";
        var writer = response.BodyWriter;
        using var filter = new ChunkUsageFilter(clientWantsUsage);
        var events = upstream.Events;
        OpenAiError? failure = null;
        var sawDone = false;
        try
        {
            while (true)
            {
                var chunk = events.Current.Data;
                try
                {
                    if (chunk.IsDone)
                    {
                        sawDone = true;
                        break;
                    }
                    var action = filter.Process(chunk.Span);
                    if (action == ChunkAction.Forward) SseWriter.WriteData(writer, chunk.Span);
                    else if (action == ChunkAction.ForwardRewritten) SseWriter.WriteData(writer, filter.Rewritten.Span);
                }
                finally
                {
                    chunk.Dispose();
                }
                // Flush exactly when the next event is not already here: events that arrived together leave in one
                // write, and nothing is ever held back while the upstream is being waited for.
                var next = events.MoveNextAsync();
                if (!next.IsCompleted)
                {
                    var flushed = await writer.FlushAsync(clientAborted);
                    if (flushed.IsCanceled || flushed.IsCompleted) return (StreamEnd.ClientGone, filter.Usage);
                }
                if (!await next) break;
            }
            if (!sawDone) failure = GatewayErrors.UpstreamStreamBroken(upstream.Provider!.Name);
        }
        catch (OperationCanceledException) when (clientAborted.IsCancellationRequested)
        {
            return (StreamEnd.ClientGone, filter.Usage);
        }
        catch (UpstreamIdleTimeoutException)
        {
            failure = GatewayErrors.UpstreamTimeout(upstream.Provider!.Name, "next chunk");
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            failure = GatewayErrors.UpstreamStreamBroken(upstream.Provider!.Name);
        }

        try
        {
            if (failure is not null)
            {
                // After the first byte the status is sent; OpenAI reports the error as an event instead.
                SseWriter.WriteData(writer, failure.ToJsonBytes());
            }
            else
            {
                if (filter.BuildFinalUsageChunk() is { } usageChunk) SseWriter.WriteData(writer, usageChunk);
                SseWriter.WriteDone(writer);
            }
            await writer.FlushAsync(clientAborted);
        }
        catch (OperationCanceledException) when (clientAborted.IsCancellationRequested)
        {
            return (StreamEnd.ClientGone, filter.Usage);
        }
        return (failure is null ? StreamEnd.Completed : StreamEnd.UpstreamFailed, filter.Usage);
    }

    /// <summary>Relays an SSE body the gateway does not interpret, flushing after every read.</summary>
    public static async Task<StreamEnd> RelayRawAsync(HttpResponse response, RawStreamResponse upstream, CancellationToken clientAborted)
    {
        response.StatusCode = (int)upstream.Message.StatusCode;
        response.ContentType = SseWriter.ContentType;
        response.Headers.CacheControl = "no-cache";
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
            return StreamEnd.UpstreamFailed;
        }
    }
}
