using System.Net;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Primitives;
using Switchboard.Configuration;
using Switchboard.Errors;

namespace Switchboard.CrossSite;

/// <summary>
/// Keeps web pages on other sites from using the gateway through a visitor's browser. A browser request from
/// another origin is refused unless <c>Cors:AllowedOrigins</c> lists it (then it gets CORS headers, and
/// preflights are answered); a body must be declared JSON, so a page cannot send one as a "simple" form or
/// text request that skips the preflight. Without a master key, the Host must be an IP address, localhost or
/// listed in <c>AllowedHosts</c>, so a site that rebinds its own name to 127.0.0.1 cannot reach the gateway
/// as same-origin. Runs before authentication: a preflight carries no key.
/// </summary>
internal static class CrossSiteGuard
{
    private const string ExposedHeaders = "x-request-id, x-should-retry, retry-after, retry-after-ms, openai-processing-ms, " +
        "x-ratelimit-limit-requests, x-ratelimit-remaining-requests, x-ratelimit-reset-requests, " +
        "x-ratelimit-limit-tokens, x-ratelimit-remaining-tokens, x-ratelimit-reset-tokens";

    public static IApplicationBuilder UseCrossSiteGuard(this IApplicationBuilder app, GatewayOptions options)
    {
        var origins = new HashSet<string>(options.CrossSite.AllowedOrigins.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);
        var anyOrigin = origins.Contains("*");
        var hosts = new HashSet<string>(options.CrossSite.AllowedHosts, StringComparer.OrdinalIgnoreCase);
        var anyHost = hosts.Contains("*");
        var keyless = options.IsKeyless;
        return app.Use((context, next) =>
        {
            var request = context.Request;
            if (keyless && !anyHost && !IsLocalHost(request.Host.Host, hosts))
                return ErrorResult.WriteAsync(context.Response, GatewayErrors.HostNotAllowed(request.Host.Value ?? ""));

            var origin = request.Headers.Origin;
            if (!StringValues.IsNullOrEmpty(origin) && !IsSameOrigin(origin.ToString(), request))
            {
                var value = origin.ToString();
                if (!anyOrigin && !origins.Contains(value))
                    return ErrorResult.WriteAsync(context.Response, GatewayErrors.OriginNotAllowed(value));
                var headers = context.Response.Headers;
                headers.AccessControlAllowOrigin = value;
                headers.Vary = "Origin";
                headers.AccessControlExposeHeaders = ExposedHeaders;
                if (HttpMethods.IsOptions(request.Method) && request.Headers.ContainsKey("Access-Control-Request-Method"))
                {
                    headers.AccessControlAllowMethods = "GET, HEAD, POST, OPTIONS";
                    headers.AccessControlAllowHeaders = request.Headers.AccessControlRequestHeaders.ToString();
                    headers.AccessControlMaxAge = "600";
                    context.Response.StatusCode = StatusCodes.Status204NoContent;
                    return Task.CompletedTask;
                }
            }

            if (context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true && !IsJson(request.ContentType))
                return ErrorResult.WriteAsync(context.Response, GatewayErrors.UnsupportedMediaType(request.ContentType));
            return next(context);
        });
    }

    /// <summary><c>application/json</c> or any <c>…/…+json</c>, with or without parameters.</summary>
    private static bool IsJson(string? contentType)
    {
        if (contentType is null) return false;
        var media = contentType.AsSpan();
        var semicolon = media.IndexOf(';');
        if (semicolon >= 0) media = media[..semicolon];
        media = media.Trim();
        return media.Equals("application/json", StringComparison.OrdinalIgnoreCase) ||
               (media.EndsWith("+json", StringComparison.OrdinalIgnoreCase) && media.Contains('/'));
    }

    /// <summary>An IP literal (a rebinding page cannot make its own origin one), localhost, or a listed name.</summary>
    private static bool IsLocalHost(string host, HashSet<string> allowed) =>
        host.Length == 0 ||
        IPAddress.TryParse(host.AsSpan().Trim("[]"), out _) ||
        host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ||
        host.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase) ||
        allowed.Contains(host);

    private static bool IsSameOrigin(string origin, HttpRequest request)
    {
        var scheme = request.Scheme;
        var host = request.Host.Value;
        return host is not null &&
               origin.Length == scheme.Length + 3 + host.Length &&
               origin.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) &&
               origin.AsSpan(scheme.Length).StartsWith("://") &&
               origin.AsSpan(scheme.Length + 3).Equals(host, StringComparison.OrdinalIgnoreCase);
    }
}
