using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Unicode;
using Switchboard.Buffers;
using Switchboard.Configuration;
using Switchboard.Errors;
using Switchboard.Json;
using Switchboard.Logging;
using Switchboard.Metering;
using Switchboard.Providers;
using Switchboard.Requests;
using Switchboard.Resilience;
using Switchboard.Routing;
using Switchboard.Streaming;
using Switchboard.Telemetry;

namespace Switchboard.Forwarding;

/// <summary>
/// Sends a request to the model's providers in order (a local model's through <see cref="LocalForwarder"/>): per upstream, retries with backoff (honouring the
/// upstream's retry-after) while nothing has reached the client; skips providers whose circuit is open;
/// falls back to the next provider when one is exhausted or refuses the gateway's key. Responses are bounded
/// (<see cref="LimitOptions"/>) and checked: a success must be a JSON object or an event stream, an error is
/// normalised to OpenAI's shape. Every outcome is a value.
/// </summary>
internal sealed class UpstreamForwarder(GatewayOptions options, BufferBudget budget, RetryPolicy retries, LocalForwarder local, Telemetry.GatewayMetrics metrics,
    TimeProvider time, ILogger<UpstreamForwarder> logger)
{
    // Retry guidance and timing an SDK reads, passed from the upstream's response to the client's.
    private static readonly string[] PassedHeaders = ["retry-after", "retry-after-ms", "x-should-retry", "openai-processing-ms"];

    private enum AttemptKind { Done, Retryable, NextProvider, Final }

    private readonly record struct Attempt(AttemptKind Kind, ForwardOutcome Outcome);

    public async Task<ForwardOutcome> ForwardAsync(ProxyRequest request, ModelRoute route, CancellationToken clientAborted)
    {
        ForwardOutcome? last = null;
        var soonestProbe = TimeSpan.MaxValue;
        JsonEdit[] edits = [];
        string? editsFor = null;
        string? left = null;   // the provider just given up on, counted as a fallback once another is tried

        foreach (var candidate in route.Candidates)
        {
            var breaker = candidate.Provider.BreakerFor(candidate.UpstreamModel);
            if (!breaker.TryAcquire())
            {
                var wait = breaker.RetryAfter;
                if (wait < soonestProbe) soonestProbe = wait;
                Log.ProviderSkipped(logger, candidate.Provider.Name, route.Model);
                continue;
            }
            if (left is not null)
            {
                metrics.FellBack(left, route.Model);
                left = null;
            }
            if (candidate.Provider is LocalProvider localProvider)
            {
                // No retries: a model that could not load now will not load a moment later; the next provider is tried.
                ForwardOutcome outcome;
                bool tryNext;
                using (var span = GatewayTracing.StartChild($"local {candidate.UpstreamModel}"))
                {
                    (outcome, tryNext) = await local.ForwardAsync(localProvider, candidate.UpstreamModel, request, clientAborted);
                    Traced(span, localProvider.Name, candidate.UpstreamModel, 0, outcome);
                }
                last?.Dispose();
                last = outcome;
                outcome.ServedModel = candidate.UpstreamModel;
                if (!tryNext) return outcome;
                Log.FallingBack(logger, localProvider.Name, route.Model);
                left = localProvider.Name;
                continue;
            }
            var provider = (UpstreamProvider)candidate.Provider;
            if (editsFor != candidate.UpstreamModel)
            {
                edits = UpstreamContent.EditsFor(request, candidate.UpstreamModel);
                editsFor = candidate.UpstreamModel;
            }

            var retry = provider.Options.Retry;
            for (var attempt = 0; ; attempt++)
            {
                Attempt result;
                using (var span = GatewayTracing.StartChild($"upstream {provider.Name}", ActivityKind.Client))
                {
                    result = await AttemptAsync(provider, candidate.UpstreamModel, request, edits, clientAborted);
                    Traced(span, provider.Name, candidate.UpstreamModel, attempt, result.Outcome);
                }
                last?.Dispose();
                last = result.Outcome;
                last.ServedModel = candidate.UpstreamModel;
                if (result.Kind is AttemptKind.Done or AttemptKind.Final) return result.Outcome;
                if (result.Kind == AttemptKind.NextProvider || attempt >= retry.MaxRetries || provider.Breaker.State != CircuitState.Closed) break;
                var headers = (result.Outcome as FailedResponse)?.Error.Headers ?? [];
                if (retries.NextDelay(attempt, retry, headers) is not { } delay) break;
                Log.RetryingUpstream(logger, provider.Name, attempt + 1, (long)delay.TotalMilliseconds);
                metrics.Retried(provider.Name, route.Model);
                await Task.Delay(delay, time, clientAborted);
            }
            Log.FallingBack(logger, provider.Name, route.Model);
            left = provider.Name;
        }

        // Every provider tried left its last outcome; none tried means every circuit was open.
        return last ?? new FailedResponse(null, GatewayErrors.AllProvidersOpen(route.Model,
            (int)Math.Ceiling(Math.Max(1, soonestProbe == TimeSpan.MaxValue ? 1 : soonestProbe.TotalSeconds))));
    }

    /// <summary>An attempt's span: which provider and model, which try, and how it ended.</summary>
    private static void Traced(Activity? span, string provider, string upstreamModel, int attempt, ForwardOutcome outcome)
    {
        if (span is null) return;
        span.SetTag("gen_ai.provider.name", provider);
        span.SetTag("gen_ai.request.model", upstreamModel);
        span.SetTag("switchboard.attempt", attempt + 1);
        switch (outcome)
        {
            case FailedResponse failed:
                span.SetTag("http.response.status_code", failed.Error.Status);
                // The status, not the error's code: an upstream's code is its own text, of any number of values.
                span.SetTag("error.type", failed.Error.Status.ToString(System.Globalization.CultureInfo.InvariantCulture));
                span.SetStatus(ActivityStatusCode.Error);
                break;
            case BufferedResponse buffered:
                span.SetTag("http.response.status_code", buffered.Status);
                break;
            default:
                span.SetTag("http.response.status_code", 200);
                break;
        }
    }

    private async Task<Attempt> AttemptAsync(UpstreamProvider provider, string upstreamModel, ProxyRequest request, JsonEdit[] edits, CancellationToken clientAborted)
    {
        using var message = provider.CreateRequest(HttpMethod.Post, request.Endpoint.Path, upstreamModel, UpstreamContent.Create(request, edits));
        if (message is null)
            return new Attempt(AttemptKind.NextProvider, new FailedResponse(provider, GatewayErrors.ModelNotFound(request.Model)));
        message.Headers.TryAddWithoutValidation("Accept", request.Stream ? "text/event-stream" : "application/json");

        // One token source times this attempt: first the response headers, then (re-armed per read) the body.
        // It is linked to the client, so a client that leaves cancels the upstream call too.
        var timeouts = provider.Options.Timeouts;
        var deadline = time.GetTimestamp() + (long)(timeouts.Total.TotalSeconds * time.TimestampFrequency);
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
        timeout.CancelAfter(timeouts.FirstByte < timeouts.Total ? timeouts.FirstByte : timeouts.Total);
        HttpResponseMessage response;
        try
        {
            response = await provider.Client.SendAsync(message, timeout.Token);
        }
        catch (OperationCanceledException) when (!clientAborted.IsCancellationRequested)
        {
            timeout.Dispose();
            return TransportFailure(provider, GatewayErrors.UpstreamTimeout(provider.Name, "response headers"));
        }
        catch (HttpRequestException e)
        {
            timeout.Dispose();
            Log.UpstreamUnreachable(logger, provider.Name, e.HttpRequestError.ToString());
            // Reached but hung up before answering is not the same as unreachable: the hint to the operator differs.
            return TransportFailure(provider, ClosedEarly(e) ? GatewayErrors.UpstreamClosedEarly(provider.Name) : GatewayErrors.UpstreamUnreachable(provider.Name));
        }
        catch
        {
            timeout.Dispose();
            throw;
        }
        timeout.CancelAfter(Timeout.InfiniteTimeSpan);
        Stream content;
        try
        {
            content = await response.Content.ReadAsStreamAsync(clientAborted);
        }
        catch
        {
            response.Dispose();
            timeout.Dispose();
            throw;
        }
        var body = new IdleTimeoutStream(content, timeouts.Idle, deadline, time, timeout, clientAborted);

        if (response.IsSuccessStatusCode && (response.Content.Headers.ContentType?.MediaType == "text/event-stream") is var isStream && isStream != request.Stream)
        {
            // Neither can be handed to the client as it is: its SDK parses what it asked for.
            response.Dispose();
            await body.DisposeAsync();
            provider.Breaker.RecordFailure(isStream ? "answered with a stream where JSON was asked for" : "answered with JSON where a stream was asked for");
            return new Attempt(AttemptKind.NextProvider, new FailedResponse(provider, GatewayErrors.UnexpectedStreaming(provider.Name, sentStream: isStream)));
        }
        if (response.IsSuccessStatusCode && request.Stream)
            return await OpenStreamAsync(provider, request, response, body, clientAborted);
        using (response)
        await using (body)
        {
            return await ReadBufferedAsync(provider, response, body, clientAborted);
        }
    }

    private async Task<Attempt> OpenStreamAsync(UpstreamProvider provider, ProxyRequest request, HttpResponseMessage response, IdleTimeoutStream body, CancellationToken clientAborted)
    {
        if (!request.Endpoint.HasUsageStream)
        {
            provider.Breaker.RecordSuccess();
            return new Attempt(AttemptKind.Done, new RawStreamResponse(provider, response, body));
        }
        var events = new SseReader(body, budget, options.Limits.MaxEventBytes);
        OpenAiError error;
        try
        {
            // Wait for the first event before committing anything to the client, so a stream that dies
            // at once can still be retried or fall back.
            var first = await events.ReadAsync(clientAborted);
            if (first == SseReadStatus.Event && !IsErrorEvent(events.Data.Span))
            {
                provider.Breaker.RecordSuccess();
                return new Attempt(AttemptKind.Done, new StreamingResponse(provider, response, events));
            }
            if (first == SseReadStatus.Event)
            {
                // Servers that fail after a 200 (rate limits, overload) often say so in the first event: with nothing
                // sent yet, that is an error response like any other, retried or passed to the next provider.
                var upstreamError = UpstreamError.FromEvent(provider.Name, provider.Options.ApiKey, events.Data.Span);
                response.Dispose();
                events.Dispose();
                return TransportFailure(provider, upstreamError, "the stream began with an error event");
            }
            if (first == SseReadStatus.OverBudget)
            {
                // The gateway's own limit, not the provider's fault: no retry, nothing held against it.
                response.Dispose();
                events.Dispose();
                return new Attempt(AttemptKind.Final, new FailedResponse(provider, GatewayErrors.Overloaded()));
            }
            error = first == SseReadStatus.TooLarge ? GatewayErrors.UpstreamEventTooLarge(provider.Name) : GatewayErrors.UpstreamStreamBroken(provider.Name);
        }
        catch (UpstreamTimeoutException e)
        {
            error = GatewayErrors.UpstreamTimeout(provider.Name, e.Phase("first chunk"));
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            error = GatewayErrors.UpstreamStreamBroken(provider.Name);
        }
        catch
        {
            response.Dispose();
            events.Dispose();
            throw;
        }
        response.Dispose();
        events.Dispose();
        return TransportFailure(provider, error);
    }

    private async Task<Attempt> ReadBufferedAsync(UpstreamProvider provider, HttpResponseMessage response, IdleTimeoutStream body, CancellationToken clientAborted)
    {
        var status = (int)response.StatusCode;
        var headers = Passed(response.Headers);
        // An announced length over the limit is refused before a byte is read.
        var buffer = new ByteBuffer(budget, options.Limits.MaxResponseBodyBytes);
        OpenAiError? error;
        bool final;
        try
        {
            (error, final) = await ReadAllAsync(provider, body, buffer, response.Content.Headers.ContentLength, clientAborted);
        }
        catch
        {
            buffer.Dispose();    // a client that left mid-body must not keep its reservation
            throw;
        }
        if (error is not null)
        {
            buffer.Dispose();
            return final ? new Attempt(AttemptKind.Final, new FailedResponse(provider, error)) : TransportFailure(provider, error);
        }

        if (response.IsSuccessStatusCode)
        {
            if (!TryReadSuccess(buffer.WrittenSpan, out var usage))
            {
                buffer.Dispose();
                return TransportFailure(provider, GatewayErrors.UpstreamBadResponse(provider.Name));
            }
            provider.Breaker.RecordSuccess();
            return new Attempt(AttemptKind.Done, new BufferedResponse(provider, status, buffer, usage, headers));
        }

        var upstreamError = UpstreamError.From(provider.Name, provider.Options.ApiKey, status, buffer.WrittenSpan) with { Headers = headers };
        buffer.Dispose();
        Log.UpstreamError(logger, provider.Name, status);
        if (status == StatusCodes.Status401Unauthorized)
        {
            // The gateway's own key was refused: no retry can fix that, another provider may.
            provider.Breaker.RecordFailure("HTTP 401: the provider refused the gateway's key");
            return new Attempt(AttemptKind.NextProvider, new FailedResponse(provider, upstreamError));
        }
        if (status >= 500 || status == 408) provider.Breaker.RecordFailure($"HTTP {status}");
        else provider.Breaker.RecordSuccess();
        var shouldRetry = status is 408 or 409 or 429 or >= 500 && !ForbidsRetry(headers);
        return new Attempt(shouldRetry ? AttemptKind.Retryable : AttemptKind.Final, new FailedResponse(provider, upstreamError));
    }

    /// <summary>Reads the whole body into <paramref name="buffer"/>; an error, and whether retrying cannot help.</summary>
    private static async Task<(OpenAiError? Error, bool Final)> ReadAllAsync(UpstreamProvider provider, IdleTimeoutStream body, ByteBuffer buffer, long? length, CancellationToken clientAborted)
    {
        try
        {
            return await buffer.ReadToEndAsync(body, length, clientAborted) switch
            {
                GrowResult.Ok => (null, false),
                GrowResult.TooLarge => (GatewayErrors.UpstreamResponseTooLarge(provider.Name, buffer.MaxBytes), true),
                _ => (GatewayErrors.Overloaded(), true),
            };
        }
        catch (UpstreamTimeoutException e)
        {
            return (GatewayErrors.UpstreamTimeout(provider.Name, e.Phase("response body")), false);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return (GatewayErrors.UpstreamStreamBroken(provider.Name), false);
        }
    }

    /// <summary>Whether a success body is one JSON object in UTF-8 (what every SDK expects), and its top-level usage.</summary>
    private static bool TryReadSuccess(ReadOnlySpan<byte> json, out Usage? usage)
    {
        usage = null;
        if (!Utf8.IsValid(json) || !ResponseMembers.TryScan(json, out var members)) return false;
        if (members.Usage.Kind == JsonTokenType.StartObject) usage = Usage.Read(json[members.Usage.ValueStart..members.Usage.End]);
        return true;
    }

    private static bool IsErrorEvent(ReadOnlySpan<byte> data) =>
        ResponseMembers.TryScan(data, out var members) && members.Error.Exists && members.Error.Kind != JsonTokenType.Null;

    private static bool ClosedEarly(HttpRequestException e)
    {
        if (e.HttpRequestError is HttpRequestError.ResponseEnded or HttpRequestError.InvalidResponse) return true;
        for (Exception? inner = e.InnerException; inner is not null; inner = inner.InnerException)
        {
            if (inner is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionReset or System.Net.Sockets.SocketError.ConnectionAborted })
                return true;
        }
        return false;
    }

    // The breaker's reason is shown by the public /readyz: given where the error is the upstream's own text, else the
    // first sentence of the gateway's own message (a timeout, a refused connection, a malformed answer).
    private static Attempt TransportFailure(UpstreamProvider provider, OpenAiError error, string? reason = null)
    {
        var end = error.Message.IndexOf(". ", StringComparison.Ordinal);
        provider.Breaker.RecordFailure(reason ?? (end < 0 ? error.Message : error.Message[..(end + 1)]));
        return new Attempt(AttemptKind.Retryable, new FailedResponse(provider, error));
    }

    private static List<KeyValuePair<string, string>> Passed(HttpResponseHeaders headers)
    {
        var passed = new List<KeyValuePair<string, string>>(0);
        foreach (var name in PassedHeaders)
        {
            if (headers.TryGetValues(name, out var values) && values.FirstOrDefault() is { } value) passed.Add(new(name, value));
        }
        return passed;
    }

    private static bool ForbidsRetry(List<KeyValuePair<string, string>> headers) =>
        headers.Exists(h => h.Key == "x-should-retry" && h.Value == "false");
}
