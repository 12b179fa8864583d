namespace Switchboard.Hosting;

/// <summary>
/// Gives every request an id (OpenAI's <c>req_…</c> form) and sends it as <c>x-request-id</c> on every response,
/// errors included, with <c>X-Content-Type-Options: nosniff</c> so no browser reads an answer as anything but its declared type.
/// </summary>
internal static class RequestIdMiddleware
{
    // 128 bits from Random.Shared: per thread, seeded once from the OS, safe from any thread. Not the injected
    // generator: a test's seeded one would repeat ids across instances sharing a ledger. An id names a request and
    // guards nothing; Guid.NewGuid read the kernel's random source, a system call on every request.
    public static IApplicationBuilder UseRequestId(this IApplicationBuilder app) => app.Use((context, next) =>
    {
        var id = string.Create(36, 0, static (span, _) =>
        {
            "req_".CopyTo(span);
            Span<byte> bits = stackalloc byte[16];
            Random.Shared.NextBytes(bits);
            Convert.TryToHexStringLower(bits, span[4..], out _);
        });
        context.TraceIdentifier = id;
        var headers = context.Response.Headers;
        headers["x-request-id"] = id;
        headers.XContentTypeOptions = "nosniff";
        return next(context);
    });
}
