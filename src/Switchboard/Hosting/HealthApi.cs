using Microsoft.AspNetCore.Http.HttpResults;

namespace Switchboard.Hosting;

/// <summary>Liveness (<c>/healthz</c>: the process answers) and readiness (<c>/readyz</c>: started and not shutting down); open without a key, for load balancers.</summary>
public static class HealthApi
{
    private static readonly string[] GetAndHead = [HttpMethods.Get, HttpMethods.Head];

    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapMethods("/healthz", GetAndHead, () => TypedResults.Ok(new ReadyStatus("ok"))).AllowAnonymous();
        app.MapMethods("/readyz", GetAndHead, Results<Ok<ReadyStatus>, JsonHttpResult<ReadyStatus>> (IHostApplicationLifetime lifetime) =>
            lifetime.ApplicationStarted.IsCancellationRequested && !lifetime.ApplicationStopping.IsCancellationRequested
                ? TypedResults.Ok(new ReadyStatus("ready"))
                : TypedResults.Json(new ReadyStatus("not_ready"), statusCode: StatusCodes.Status503ServiceUnavailable)).AllowAnonymous();
        return app;
    }

    public sealed record ReadyStatus(string Status);
}
