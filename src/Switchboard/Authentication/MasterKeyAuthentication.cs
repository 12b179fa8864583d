using System.Security.Cryptography;
using System.Text;
using Switchboard.Configuration;
using Switchboard.Errors;

namespace Switchboard.Authentication;

/// <summary>
/// Guards <c>/v1</c> with the configured master key when one is set. Both sides are hashed before a
/// fixed-time comparison, so neither the key's bytes nor its length leak through timing.
/// </summary>
internal static class MasterKeyAuthentication
{
    public static IApplicationBuilder UseMasterKeyAuthentication(this IApplicationBuilder app, GatewayOptions options)
    {
        if (options.MasterKey is not { } key) return app;
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return app.Use((context, next) =>
        {
            if (!context.Request.Path.StartsWithSegments("/v1", StringComparison.Ordinal) || IsAuthorized(context.Request, expected))
                return next(context);
            return ErrorResult.WriteAsync(context.Response, GatewayErrors.InvalidApiKey());
        });
    }

    private static bool IsAuthorized(HttpRequest request, byte[] expected)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        Span<byte> presented = stackalloc byte[32];
        var token = header.AsSpan(7).Trim();
        var bytes = Encoding.UTF8.GetByteCount(token) <= 1024 ? Encoding.UTF8.GetBytes(token.ToString()) : [];
        SHA256.HashData(bytes, presented);
        return CryptographicOperations.FixedTimeEquals(presented, expected);
    }
}
