using Microsoft.AspNetCore.Http.HttpResults;

namespace Switchboard.Hosting;

/// <summary>Liveness (<c>/healthz</c>: the process answers) and readiness (<c>/readyz</c>: started and not shutting down).</summary>
public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/healthz", () => TypedResults.Ok(new { status = "ok" }));
        app.MapGet("/readyz", Results<Ok<ReadyStatus>, JsonHttpResult<ReadyStatus>> (IHostApplicationLifetime lifetime) =>
            lifetime.ApplicationStarted.IsCancellationRequested && !lifetime.ApplicationStopping.IsCancellationRequested
                ? TypedResults.Ok(new ReadyStatus("ready"))
                : TypedResults.Json(new ReadyStatus("not_ready"), statusCode: StatusCodes.Status503ServiceUnavailable));
        return app;
    }

    public sealed record ReadyStatus(string Status);
}
