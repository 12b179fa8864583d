using System.Diagnostics;
using System.Text;
using Switchboard.Admission;
using Switchboard.Api;
using Switchboard.Authentication;
using Switchboard.Buffers;
using Switchboard.Configuration;
using Switchboard.Errors;
using Switchboard.Logging;
using Switchboard.Metering;
using Switchboard.Requests;
using Switchboard.Routing;
using Switchboard.Storage;
using Switchboard.Streaming;

namespace Switchboard.Forwarding;

/// <summary>
/// One forwarded API call, stage by stage: read and validate → admission (limits and spend) → route the model →
/// forward (retries, breaker, fallback) → relay body or stream → record usage and settle what admission reserved. The request id, the cross-site guard and
/// authentication happen before this, in middleware; an unexpected exception is answered by the error guard.
/// </summary>
internal sealed class ProxyHandler(GatewayOptions options, BufferBudget budget, AdmissionGate admission, ModerationGuard moderation, ModelRouter router,
    UpstreamForwarder forwarder, RequestRecorder recorder, Telemetry.GatewayMetrics metrics, TimeProvider time, ILogger<ProxyHandler> logger)
{
    public async Task HandleAsync(HttpContext context, ApiEndpoint endpoint)
    {
        var started = Stopwatch.GetTimestamp();
        var startedAt = time.GetUtcNow().ToUnixTimeSeconds();
        var requestBytes = 0;
        var clientAborted = context.RequestAborted;
        var response = context.Response;
        var model = "-";
        string? provider = null, servedModel = null;
        long firstTokenAt = 0;
        var streamedEvents = 0;
        Usage? usage = null;
        AdmissionTicket? ticket = null;
        var stream = false;
        var status = 0;
        var recorded = false;
        Ledger.Price? price = null;
        try
        {
            var (body, bodyError) = await RequestBodyReader.ReadAsync(context.Request, options.Limits, budget, clientAborted);
            var (request, error) = bodyError is null ? RequestParser.Parse(body!, endpoint) : (null, bodyError);
            if (error is not null)
            {
                body?.Dispose();
                status = error.Status;
                await ErrorResult.WriteAsync(response, error);
                return;
            }
            using (request)
            {
                model = request!.Model;
                price = request.Price = recorder.Quote(model);
                requestBytes = request.Body.Count;
                stream = request.Stream;
                if (options.Logging.LogContent)
                {
                    // Only as much as the log keeps is decoded: a 32 MB body is not turned into a 64 MB string for it.
                    var shown = request.Body.WrittenSpan[..Math.Min(request.Body.Count, LogValue.LongMaxLength + 1)];
                    Log.RequestContent(logger, context.TraceIdentifier, new LongText(Encoding.UTF8.GetString(shown)));
                }
                if (context.Features.Get<Caller>()?.AllowedModels is { } allowed && !allowed.Contains(model))
                {
                    error = GatewayErrors.ModelNotAllowed(model);
                    status = error.Status;
                    await ErrorResult.WriteAsync(response, error);
                    return;
                }
                using (Telemetry.GatewayTracing.StartChild("admission"))
                    (ticket, error) = await admission.AdmitAsync(context.Features.Get<Caller>(), request, clientAborted);
                if (ticket is not null) admission.WriteHeaders(ticket, response.Headers);
                if (error is not null)
                {
                    status = error.Status;
                    await ErrorResult.WriteAsync(response, error);
                    return;
                }
                if (context.Features.Get<Caller>() is { Limits.ModerateInput: true } moderated
                    && await moderation.CheckAsync(context, request, moderated, clientAborted) is { } refused)
                {
                    status = refused.Status;
                    await ErrorResult.WriteAsync(response, refused);
                    return;
                }
                if (router.Resolve(model) is not { } route)
                {
                    error = GatewayErrors.ModelNotFound(model);
                    status = error.Status;
                    await ErrorResult.WriteAsync(response, error);
                    return;
                }

                using var outcome = await forwarder.ForwardAsync(request, route, clientAborted);
                provider = outcome.Provider?.Name;
                servedModel = outcome.ServedModel;
                using var relaySpan = Telemetry.GatewayTracing.StartChild("relay");
                switch (outcome)
                {
                    case BufferedResponse buffered:
                        status = buffered.Status;
                        usage = buffered.Usage;
                        if (ticket is not null)
                        {
                            // Settled before the answer is written, so a client that has its answer and asks again is
                            // never refused for the reservation the first request still held. The row is the request's
                            // as the provider answered it: a client leaving during the write is not a 499 here.
                            recorded = true;
                            try
                            {
                                await FinishAsync(context, endpoint, model, provider, status, started, usage, stream, startedAt, requestBytes, servedModel, 0, 0, ticket, price);
                            }
                            catch (Exception e) when (e is not OperationCanceledException)
                            {
                                // The answer is the client's whatever the bookkeeping did (the provider has done the work).
                                Log.UnhandledError(logger, e, context.TraceIdentifier);
                            }
                        }
                        await BufferedRelay.WriteAsync(response, buffered, clientAborted);
                        break;
                    case StreamingResponse streaming:
                        StreamResult result;
                        metrics.StreamOpened(provider);
                        try
                        {
                            result = await StreamRelay.RelayAsync(response, streaming, request.ClientWantsUsage, budget, options.Limits.MaxEventBytes, clientAborted);
                        }
                        finally
                        {
                            metrics.StreamClosed(provider);
                        }
                        usage = result.Usage;
                        firstTokenAt = result.FirstTokenAt;
                        streamedEvents = result.Events;
                        status = StatusFor(result.End);
                        if (result.Fault is { } fault) Log.UnhandledError(logger, fault, context.TraceIdentifier);
                        break;
                    case LocalStreamResponse localStream:
                        StreamResult generated;
                        metrics.StreamOpened(provider);
                        try
                        {
                            generated = await LocalStreamRelay.RelayAsync(response, localStream, request.ClientWantsUsage, clientAborted);
                        }
                        finally
                        {
                            metrics.StreamClosed(provider);
                        }
                        usage = generated.Usage;
                        firstTokenAt = generated.FirstTokenAt;
                        status = StatusFor(generated.End);
                        if (generated.Fault is { } generationFault) Log.UnhandledError(logger, generationFault, context.TraceIdentifier);
                        break;
                    case RawStreamResponse raw:
                        metrics.StreamOpened(provider);
                        try
                        {
                            status = StatusFor(await StreamRelay.RelayRawAsync(response, raw, clientAborted));
                        }
                        finally
                        {
                            metrics.StreamClosed(provider);
                        }
                        break;
                    case FailedResponse failed:
                        status = failed.Error.Status;
                        await ErrorResult.WriteAsync(response, failed.Error);
                        break;
                }
            }
        }
        catch (Exception) when (clientAborted.IsCancellationRequested)
        {
            status = StatusCodes.Status499ClientClosedRequest;
        }
        catch
        {
            status = StatusCodes.Status500InternalServerError;
            throw;
        }
        finally
        {
            if (!recorded)
                await FinishAsync(context, endpoint, model, provider, status, started, usage, stream, startedAt, requestBytes, servedModel, streamedEvents, firstTokenAt, ticket, price);
        }
    }

    /// <summary>Records the request's ledger row, then settles what admission reserved against it (whatever the recording did).</summary>
    private async ValueTask FinishAsync(HttpContext context, ApiEndpoint endpoint, string model, string? provider, int status, long started, Usage? usage,
        bool stream, long startedAt, int requestBytes, string? servedModel, int streamedEvents, long firstTokenAt, AdmissionTicket? ticket, Ledger.Price? price)
    {
        LedgerRow? row = null;
        try
        {
            row = await recorder.RecordAsync(new RequestRecord(context.TraceIdentifier, endpoint.Path, model, provider, status,
                Stopwatch.GetElapsedTime(started), usage, stream, startedAt, requestBytes)
            {
                ServedModel = servedModel,
                StreamedEvents = streamedEvents,
                TimeToFirstToken = firstTokenAt == 0 ? null : Stopwatch.GetElapsedTime(started, firstTokenAt),
                Price = price,
            }, context.Features.Get<Caller>());
        }
        finally
        {
            if (ticket is not null) await admission.SettleAsync(ticket, row);
        }
    }

    private static int StatusFor(StreamEnd end) => end switch
    {
        StreamEnd.Completed => 200,
        StreamEnd.ClientGone => StatusCodes.Status499ClientClosedRequest,
        _ => 502,
    };
}
