namespace Switchboard.Hosting;

/// <summary>
/// Gives every request an id (OpenAI's <c>req_…</c> form) and sends it as <c>x-request-id</c> on every response,
/// errors included, with <c>X-Content-Type-Options: nosniff</c> so no browser reads an answer as anything but its declared type.
/// </summary>
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
        var headers = context.Response.Headers;
        headers["x-request-id"] = id;
        headers.XContentTypeOptions = "nosniff";
        return next(context);
    });
}
