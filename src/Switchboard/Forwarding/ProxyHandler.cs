using System.Diagnostics;
using Switchboard.Api;
using Switchboard.Configuration;
using Switchboard.Errors;
using Switchboard.Logging;
using Switchboard.Metering;
using Switchboard.Routing;
using Switchboard.Streaming;

namespace Switchboard.Forwarding;

/// <summary>
/// One forwarded API call, stage by stage: read and validate → route the model → forward (retries,
/// breaker, fallback) → relay body or stream → record usage. Authentication and the request id happen
/// before this, in middleware.
/// </summary>
internal sealed class ProxyHandler(GatewayOptions options, ModelRouter router, UpstreamForwarder forwarder, RequestRecorder recorder, ILogger<ProxyHandler> logger)
{
    public async Task HandleAsync(HttpContext context, ApiEndpoint endpoint)
    {
        var started = Stopwatch.GetTimestamp();
        var clientAborted = context.RequestAborted;
        var response = context.Response;
        var model = "-";
        string? provider = null;
        Usage? usage = null;
        var stream = false;
        var status = 0;
        try
        {
            var (request, error) = await RequestReader.ReadAsync(context.Request, endpoint, options.MaxRequestBodyBytes, clientAborted);
            if (error is not null)
            {
                status = error.Status;
                await ErrorResult.WriteAsync(response, error);
                return;
            }
            using (request)
            {
                model = request!.Model;
                stream = request.Stream;
                if (options.Logging.LogContent)
                    Log.RequestContent(logger, context.TraceIdentifier, request.Document.RootElement.GetRawText());
                if (router.Resolve(model) is not { } route)
                {
                    error = GatewayErrors.ModelNotFound(model);
                    status = error.Status;
                    await ErrorResult.WriteAsync(response, error);
                    return;
                }

                using var outcome = await forwarder.ForwardAsync(request, route, clientAborted);
                provider = outcome.Provider?.Name;
                switch (outcome)
                {
                    case BufferedResponse buffered:
                        status = buffered.Status;
                        usage = buffered.Message.IsSuccessStatusCode ? Usage.FromResponseBody(buffered.Body.WrittenSpan) : null;
                        await BufferedRelay.WriteAsync(response, buffered, clientAborted);
                        break;
                    case StreamingResponse streaming:
                        var (end, streamUsage) = await StreamRelay.RelayAsync(response, streaming, request.ClientWantsUsage, clientAborted);
                        usage = streamUsage;
                        status = StatusFor(end);
                        break;
                    case RawStreamResponse raw:
                        status = StatusFor(await StreamRelay.RelayRawAsync(response, raw, clientAborted));
                        break;
                    case FailedResponse failed:
                        status = failed.Error.Status;
                        await ErrorResult.WriteAsync(response, failed.Error);
                        break;
                }
            }
        }
        catch (OperationCanceledException) when (clientAborted.IsCancellationRequested)
        {
            status = StatusCodes.Status499ClientClosedRequest;
        }
        catch (Exception e) when (!response.HasStarted)
        {
            Log.UnhandledError(logger, e, context.TraceIdentifier);
            status = 500;
            await ErrorResult.WriteAsync(response, GatewayErrors.Internal());
        }
        finally
        {
            recorder.Record(new RequestRecord(context.TraceIdentifier, endpoint.Path, model, provider, status,
                Stopwatch.GetElapsedTime(started), usage, stream));
        }
    }

    private static int StatusFor(StreamEnd end) => end switch
    {
        StreamEnd.Completed => 200,
        StreamEnd.ClientGone => StatusCodes.Status499ClientClosedRequest,
        _ => 502,
    };
}
