using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Providers;
using Switchboard.Resilience;

namespace Switchboard.Hosting;

/// <summary>
/// Liveness (<c>/healthz</c>: the process answers) and readiness (<c>/readyz</c>: started and not shutting down, with
/// each circuit breaker's state and last failure); open without a key, for load balancers and <c>switchboard status</c>.
/// A failure is described in the gateway's own words (a status, a timeout), never with upstream text or addresses.
/// </summary>
public static class HealthApi
{
    private static readonly string[] GetAndHead = [HttpMethods.Get, HttpMethods.Head];

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/healthz", GetAndHead, () => TypedResults.Ok(new ReadyStatus("ok"))).AllowAnonymous();
        app.MapMethods("/readyz", GetAndHead, Results<Ok<ReadyStatus>, JsonHttpResult<ReadyStatus>> (IHostApplicationLifetime lifetime, ProviderRegistry providers) =>
        {
            var health = Health(providers);
            return lifetime.ApplicationStarted.IsCancellationRequested && !lifetime.ApplicationStopping.IsCancellationRequested
                ? TypedResults.Ok(new ReadyStatus("ready", health))
                : TypedResults.Json(new ReadyStatus("not_ready", health), statusCode: StatusCodes.Status503ServiceUnavailable);
        }).AllowAnonymous();
        return app;
    }

    private static List<ProviderHealth> Health(ProviderRegistry providers) =>
    [
        .. providers.Upstreams.Cast<Provider>().Append(providers.Local).SelectMany(provider => provider.Breakers.Select(b => new ProviderHealth(
            provider.Name, b.Guarding, b.Breaker.Observed switch { CircuitState.Closed => "closed", CircuitState.HalfOpen => "half_open", _ => "open" },
            b.Breaker.LastFailure is { } failure ? new LastFailure(failure.Reason, failure.At.ToUnixTimeSeconds()) : null))),
    ];

    /// <summary>The answer of both endpoints: <c>ok</c>, <c>ready</c> or <c>not_ready</c>, and for readiness the breakers.</summary>
    public sealed record ReadyStatus(string Status, IReadOnlyList<ProviderHealth>? Providers = null);

    /// <summary>One breaker: the provider, what it guards (the provider, or one local model), its state, its last failure.</summary>
    public sealed record ProviderHealth(
        string Provider, string Guarding, string Circuit, [property: JsonPropertyName("last_failure")] LastFailure? LastFailure);

    /// <summary>Why a breaker last counted a failure, in the gateway's words, and when (Unix seconds).</summary>
    public sealed record LastFailure(string Reason, long At);
}
