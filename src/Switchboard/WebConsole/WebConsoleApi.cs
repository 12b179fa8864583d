using System.Collections.Frozen;
using System.Security.Cryptography;

namespace Switchboard.WebConsole;

/// <summary>
/// The web console at <c>/</c>: three pages (Playground, API keys, Usage) in one HTML page with its script and style,
/// compiled into the gateway, so the gateway alone serves it. The page is a client of the public API like any SDK:
/// the browser calls <c>/v1</c> itself with the key the user signed in with, which stays in the tab's session
/// storage. No page is rendered on the server and no third-party code is served. A strict Content-Security-Policy
/// allows only these files, so even if model output reached the page as HTML, no script of its own would run.
/// </summary>
internal static class WebConsoleApi
{
    private sealed record Asset(byte[] Bytes, string ContentType, string ETag);

    private static readonly FrozenDictionary<string, Asset> Assets = Load();

    public static IEndpointRouteBuilder MapWebConsole(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", (HttpContext context) => Serve(context, "index.html")).AllowAnonymous().ExcludeFromDescription();
        app.MapGet("/console/{file}", (string file, HttpContext context) => Serve(context, file)).AllowAnonymous().ExcludeFromDescription();
        return app;
    }

    private static IResult Serve(HttpContext context, string file)
    {
        if (!Assets.TryGetValue(file, out var asset)) return TypedResults.NotFound();
        var headers = context.Response.Headers;
        headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        if (context.Request.Headers.IfNoneMatch == asset.ETag) return TypedResults.StatusCode(StatusCodes.Status304NotModified);
        return TypedResults.Bytes(asset.Bytes, asset.ContentType);
    }

    private static FrozenDictionary<string, Asset> Load()
    {
        var assembly = typeof(WebConsoleApi).Assembly;
        const string prefix = "Switchboard.WebConsole.wwwroot.";
        var assets = new Dictionary<string, Asset>(StringComparer.Ordinal);
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(name)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            var file = name[prefix.Length..];
            var type = Path.GetExtension(file) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                ".css" => "text/css; charset=utf-8",
                ".svg" => "image/svg+xml",
                _ => "application/octet-stream",
            };
            assets[file] = new Asset(bytes, type, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"");
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
