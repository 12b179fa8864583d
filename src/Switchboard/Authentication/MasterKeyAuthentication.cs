using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Switchboard.Configuration;
using Switchboard.Errors;

namespace Switchboard.Authentication;

/// <summary>
/// Guards every endpoint with the configured master key when one is set, except those marked
/// <c>AllowAnonymous</c> (health checks). The decision is made on the endpoint routing matched — the same
/// case-insensitive, normalised match that picks the handler — never on a raw path prefix, so no spelling of a
/// path reaches a handler without the check. Both sides are hashed before a fixed-time comparison, so neither
/// the key's bytes nor its length leak through timing. Runs after routing.
/// </summary>
internal static class MasterKeyAuthentication
{
    private const int MaxKeyBytes = 1024;

    public static IApplicationBuilder UseMasterKeyAuthentication(this IApplicationBuilder app, GatewayOptions options)
    {
        if (options.MasterKey is not { } key) return app;
        var expected = SHA256.HashData(Encoding.UTF8.GetBytes(key));
        return app.Use((context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<IAllowAnonymous>() is not null || IsAuthorized(context.Request, expected))
                return next(context);
            return ErrorResult.WriteAsync(context.Response, GatewayErrors.InvalidApiKey());
        });
    }

    private static bool IsAuthorized(HttpRequest request, byte[] expected)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        var token = header.AsSpan(7).Trim();
        Span<byte> presented = stackalloc byte[32];
        var bytes = Encoding.UTF8.GetByteCount(token) <= MaxKeyBytes ? Encoding.UTF8.GetBytes(token.ToString()) : [];
        SHA256.HashData(bytes, presented);
        return CryptographicOperations.FixedTimeEquals(presented, expected);
    }
}
