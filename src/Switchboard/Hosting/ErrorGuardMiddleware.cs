using Switchboard.Configuration;
using Switchboard.Errors;
using Switchboard.Logging;

namespace Switchboard.Hosting;

/// <summary>Last line of defence: an unexpected exception becomes OpenAI's error shape with status 500, never a bare crash page; the one place a 500 is answered.</summary>
internal static class ErrorGuardMiddleware
{
    public static IApplicationBuilder UseErrorGuard(this IApplicationBuilder app, GatewayOptions options)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger("Switchboard.Hosting");
        return app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException e) when (!context.Response.HasStarted)
            {
                await ErrorResult.WriteAsync(context.Response, GatewayErrors.FromBadRequest(e, options.Limits.MaxRequestBodyBytes));
            }
            catch (Exception e) when (!context.Response.HasStarted && !context.RequestAborted.IsCancellationRequested)
            {
                Log.UnhandledError(logger, e, context.TraceIdentifier);
                await ErrorResult.WriteAsync(context.Response, GatewayErrors.Internal());
            }
        });
    }
}
