using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Authorization;
using Switchboard.Api;
using Switchboard.Configuration;
using Switchboard.Errors;
using Switchboard.Keys;
using Switchboard.Metering;

namespace Switchboard.Authentication;

/// <summary>Who made a request: the master key, an admin key, a project key, or nobody (open mode).</summary>
internal sealed record Caller(CallerKind Kind, string? KeyId = null, string? ProjectId = null, IReadOnlySet<string>? AllowedModels = null)
{
    /// <summary>The key's own limits (our extension), which admission enforces beside the project's.</summary>
    public KeyLimits? Limits { get; init; }

    public static readonly Caller Anonymous = new(CallerKind.Anonymous);
    public static readonly Caller Master = new(CallerKind.Master);
}

internal enum CallerKind { Anonymous, Master, Admin, Project }

/// <summary>Marks the administration endpoints: the master key or an admin key, never a project key.</summary>
[AttributeUsage(AttributeTargets.Class | AttributeTargets.Method)]
internal sealed class AdminEndpointAttribute : Attribute;

/// <summary>
/// Decides on the endpoint routing matched (the same normalised match that picks the handler, never a raw path
/// prefix), so no spelling of a path reaches a handler without the check. Runs after routing.
/// <list type="bullet">
/// <item>Endpoints marked <c>AllowAnonymous</c> (health checks) are open.</item>
/// <item>Administration endpoints take the master key or an admin key. While neither exists (no master key configured,
/// no admin key created) they answer loopback clients only, so a local operator can create the first keys.</item>
/// <item>Everything else needs the master key or a live project key once either exists; before that the gateway is
/// in open mode and a key sent anyway is ignored (SDKs insist on sending one).</item>
/// </list>
/// The master key is compared by hash in fixed time; other keys are found by the hash of what was sent, in
/// memory (<see cref="KeyCache"/>). The caller is left in the request's features for the ledger.
/// </summary>
internal static class KeyAuthentication
{
    public static IApplicationBuilder UseKeyAuthentication(this IApplicationBuilder app, GatewayOptions options, KeyCache keys, RequestRecorder recorder, TimeProvider time)
    {
        var master = options.MasterKey is { } key ? SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(key)) : null;
        return app.Use((context, next) =>
        {
            var endpoint = context.GetEndpoint();
            if (endpoint?.Metadata.GetMetadata<IAllowAnonymous>() is not null) return next(context);
            // Ended before the next stage runs, so that stage's spans are the request's children, not this one's.
            var span = Telemetry.GatewayTracing.StartChild("authenticate");
            var caller = Identify(context.Request, master, keys, time);
            span?.SetTag("switchboard.caller", caller.Kind.ToString().ToLowerInvariant());
            span?.SetTag("switchboard.project", caller.ProjectId);
            span?.SetTag("switchboard.api_key", caller.KeyId);
            span?.Dispose();
            var admin = endpoint?.Metadata.GetMetadata<AdminEndpointAttribute>() is not null;
            OpenAiError? refusal;
            if (admin)
            {
                var bootstrap = master is null && !keys.HasAdminKeys && IsLoopback(context.Connection.RemoteIpAddress);
                refusal = caller.Kind is CallerKind.Master or CallerKind.Admin || bootstrap ? null
                    : caller.Kind == CallerKind.Project ? GatewayErrors.AdminKeyRequired() : GatewayErrors.InvalidApiKey();
            }
            else
            {
                var open = master is null && !keys.HasProjectKeys;
                refusal = caller.Kind is CallerKind.Master or CallerKind.Project || open ? null : GatewayErrors.InvalidApiKey();
            }
            if (refusal is not null)
            {
                return endpoint?.Metadata.GetMetadata<ApiEndpoint>() is { } operation
                    ? RefuseOperationAsync(context, operation, refusal, recorder, time)
                    : ErrorResult.WriteAsync(context.Response, refusal);
            }
            context.Features.Set(caller);
            return next(context);
        });
    }

    // A model request refused for its key is in the ledger like any other (its body unread, so its model unknown).
    private static async Task RefuseOperationAsync(HttpContext context, ApiEndpoint operation, OpenAiError refusal, RequestRecorder recorder, TimeProvider time)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        await ErrorResult.WriteAsync(context.Response, refusal);
        await recorder.RecordAsync(new RequestRecord(context.TraceIdentifier, operation.Path, "-", null, refusal.Status,
            System.Diagnostics.Stopwatch.GetElapsedTime(started), null, false, time.GetUtcNow().ToUnixTimeSeconds()), null);
    }

    private static Caller Identify(HttpRequest request, byte[]? master, KeyCache keys, TimeProvider time)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return Caller.Anonymous;
        var token = header.AsSpan(7).Trim();
        if (token.Length > ApiKeySecrets.MaxSecretBytes) return Caller.Anonymous;
        if (master is not null)
        {
            Span<byte> presented = stackalloc byte[32];
            SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token.ToString()), presented);
            if (CryptographicOperations.FixedTimeEquals(presented, master)) return Caller.Master;
        }
        // No keys at all (open mode): nothing to hash a sent key for.
        if (keys.IsEmpty) return Caller.Anonymous;
        // A dictionary lookup by the secret's SHA-256: equal hashes mean equal secrets, and the time it takes says
        // nothing about how close a guess came.
        if (keys.Find(ApiKeySecrets.Hash(token)) is not { } key) return Caller.Anonymous;
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        if (key.ExpiresAt is { } expires && expires <= now) return Caller.Anonymous;
        key.MarkUsed(now);
        return key.Caller;
    }

    private static bool IsLoopback(IPAddress? address) => address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
