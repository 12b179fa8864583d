using System.Net.Http.Headers;
using System.Net.ServerSentEvents;
using Switchboard.Buffers;
using Switchboard.Errors;
using Switchboard.Logging;
using Switchboard.Providers;
using Switchboard.Resilience;
using Switchboard.Routing;
using Switchboard.Streaming;

namespace Switchboard.Forwarding;

/// <summary>
/// Sends a request to the model's providers in order: per provider, retries with backoff (honouring the
/// upstream's retry-after) while nothing has reached the client; skips providers whose circuit is open;
/// falls back to the next provider when one is exhausted. Every outcome is a value.
/// </summary>
internal sealed class UpstreamForwarder(TimeProvider time, ILogger<UpstreamForwarder> logger)
{
    private const long MaxUpstreamBodyBytes = 256L * 1024 * 1024;
    private static readonly MediaTypeHeaderValue JsonContentType = new("application/json");

    private enum AttemptKind { Done, Retryable, Final }

    private readonly record struct Attempt(AttemptKind Kind, ForwardOutcome Outcome, HttpResponseHeaders? Headers = null);

    public async Task<ForwardOutcome> ForwardAsync(ProxyRequest request, ModelRoute route, CancellationToken clientAborted)
    {
        ForwardOutcome? last = null;
        var anyTried = false;
        var soonestProbe = TimeSpan.MaxValue;
        using var body = new PooledBufferWriter(4096);
        string? bodyModel = null;

        foreach (var candidate in route.Candidates)
        {
            var provider = candidate.Provider;
            if (!provider.Breaker.TryAcquire())
            {
                var wait = provider.Breaker.RetryAfter;
                if (wait < soonestProbe) soonestProbe = wait;
                Log.ProviderSkipped(logger, provider.Name, route.Model);
                continue;
            }
            anyTried = true;
            if (bodyModel != candidate.UpstreamModel)
            {
                body.Clear();
                RequestRewriter.Write(request, candidate.UpstreamModel, body);
                bodyModel = candidate.UpstreamModel;
            }

            var retry = provider.Options.Retry;
            for (var attempt = 0; ; attempt++)
            {
                var result = await AttemptAsync(provider, candidate.UpstreamModel, request, body.WrittenMemory, clientAborted);
                if (result.Kind != AttemptKind.Retryable)
                {
                    last?.Dispose();
                    return result.Outcome;
                }
                last?.Dispose();
                last = result.Outcome;
                if (attempt >= retry.MaxRetries || provider.Breaker.State != CircuitState.Closed) break;
                if (RetryDelays.Next(attempt, retry, result.Headers, time) is not { } delay) break;
                Log.RetryingUpstream(logger, provider.Name, attempt + 1, (long)delay.TotalMilliseconds);
                try
                {
                    await Task.Delay(delay, time, clientAborted);
                }
                catch (OperationCanceledException)
                {
                    last.Dispose();
                    throw;
                }
            }
            Log.FallingBack(logger, provider.Name, route.Model);
        }

        if (last is not null) return last;
        if (!anyTried)
        {
            var seconds = (int)Math.Ceiling(Math.Max(1, soonestProbe == TimeSpan.MaxValue ? 1 : soonestProbe.TotalSeconds));
            return new FailedResponse(null, GatewayErrors.AllProvidersOpen(route.Model, seconds));
        }
        return new FailedResponse(null, GatewayErrors.Internal());
    }

    private async Task<Attempt> AttemptAsync(UpstreamProvider provider, string upstreamModel, ProxyRequest request, ReadOnlyMemory<byte> requestBody, CancellationToken clientAborted)
    {
        var content = new ReadOnlyMemoryContent(requestBody);
        content.Headers.ContentType = JsonContentType;
        using var message = provider.CreateRequest(HttpMethod.Post, request.Endpoint.Path, upstreamModel, content);
        if (message is null)
            return new Attempt(AttemptKind.Final, new FailedResponse(provider, GatewayErrors.ModelNotFound(request.Model)));
        message.Headers.Accept.ParseAdd(request.Stream ? "text/event-stream" : "application/json");

        // One token source times this attempt: first the response headers, then (re-armed per read) the body.
        // It is linked to the client, so a client that leaves cancels the upstream call too.
        var timeout = CancellationTokenSource.CreateLinkedTokenSource(clientAborted);
        timeout.CancelAfter(provider.Options.Timeouts.FirstByte);
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
            return TransportFailure(provider, GatewayErrors.UpstreamUnreachable(provider.Name));
        }
        catch
        {
            timeout.Dispose();
            throw;
        }
        timeout.CancelAfter(Timeout.InfiniteTimeSpan);
        var body = new IdleTimeoutStream(await response.Content.ReadAsStreamAsync(clientAborted), provider.Options.Timeouts.Idle, timeout, clientAborted);

        var status = (int)response.StatusCode;
        if (response.IsSuccessStatusCode && response.Content.Headers.ContentType?.MediaType == "text/event-stream")
            return await OpenStreamAsync(provider, request, response, body, clientAborted);

        var buffer = new PooledBufferWriter(16 * 1024);
        var bodyError = await ReadBodyAsync(provider, body, buffer, clientAborted);
        if (bodyError is not null)
        {
            buffer.Dispose();
            response.Dispose();
            return TransportFailure(provider, bodyError);
        }
        var outcome = new BufferedResponse(provider, response, buffer);
        if (response.IsSuccessStatusCode)
        {
            provider.Breaker.RecordSuccess();
            return new Attempt(AttemptKind.Done, outcome);
        }
        var unhealthy = status >= 500 || status == 408;
        if (unhealthy) provider.Breaker.RecordFailure();
        else provider.Breaker.RecordSuccess();
        Log.UpstreamError(logger, provider.Name, status);
        var shouldRetry = status is 408 or 409 or 429 or >= 500 && !ForbidsRetry(response.Headers);
        return new Attempt(shouldRetry ? AttemptKind.Retryable : AttemptKind.Final, outcome, response.Headers);
    }

    private static async Task<Attempt> OpenStreamAsync(UpstreamProvider provider, ProxyRequest request, HttpResponseMessage response, IdleTimeoutStream stream, CancellationToken clientAborted)
    {
        if (!request.Endpoint.HasUsageStream)
        {
            provider.Breaker.RecordSuccess();
            return new Attempt(AttemptKind.Done, new RawStreamResponse(provider, response, stream));
        }
        var events = SseParser.Create(stream, SseChunk.Copy).EnumerateAsync(clientAborted).GetAsyncEnumerator(clientAborted);
        OpenAiError? error;
        try
        {
            // Wait for the first event before committing anything to the client, so a stream that dies
            // at once can still be retried or fall back.
            if (await events.MoveNextAsync())
            {
                provider.Breaker.RecordSuccess();
                return new Attempt(AttemptKind.Done, new StreamingResponse(provider, response, stream, events));
            }
            error = GatewayErrors.UpstreamStreamBroken(provider.Name);
        }
        catch (UpstreamIdleTimeoutException)
        {
            error = GatewayErrors.UpstreamTimeout(provider.Name, "first chunk");
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            error = GatewayErrors.UpstreamStreamBroken(provider.Name);
        }
        await events.DisposeAsync();
        await stream.DisposeAsync();
        response.Dispose();
        return TransportFailure(provider, error);
    }

    private static async Task<OpenAiError?> ReadBodyAsync(UpstreamProvider provider, IdleTimeoutStream body, PooledBufferWriter buffer, CancellationToken clientAborted)
    {
        try
        {
            await using var stream = body;
            while (true)
            {
                var read = await stream.ReadAsync(buffer.GetMemory(16 * 1024), clientAborted);
                if (read == 0) return null;
                buffer.Advance(read);
                if (buffer.WrittenCount > MaxUpstreamBodyBytes) return GatewayErrors.UpstreamBadResponse(provider.Name);
            }
        }
        catch (UpstreamIdleTimeoutException)
        {
            return GatewayErrors.UpstreamTimeout(provider.Name, "response body");
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return GatewayErrors.UpstreamStreamBroken(provider.Name);
        }
    }

    private static Attempt TransportFailure(UpstreamProvider provider, OpenAiError error)
    {
        provider.Breaker.RecordFailure();
        return new Attempt(AttemptKind.Retryable, new FailedResponse(provider, error));
    }

    private static bool ForbidsRetry(HttpResponseHeaders headers) =>
        headers.TryGetValues("x-should-retry", out var values) && values.FirstOrDefault() == "false";
}
