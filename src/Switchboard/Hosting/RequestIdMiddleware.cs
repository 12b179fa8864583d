namespace Switchboard.Hosting;

/// <summary>Gives every request an id (OpenAI's <c>req_…</c> form) and sends it as <c>x-request-id</c> on every response, errors included.</summary>
internal static class RequestIdMiddleware
{
    public static IApplicationBuilder UseRequestId(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var id = string.Create(36, Guid.NewGuid(), static (span, guid) =>
        {
            "req_".CopyTo(span);
            guid.TryFormat(span[4..], out _, "N");
        });
        context.TraceIdentifier = id;
        context.Response.Headers["x-request-id"] = id;
        return next(context);
    });
}
