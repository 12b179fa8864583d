using System.Collections.Frozen;
using Microsoft.AspNetCore.Routing.Patterns;

namespace Switchboard.Api;

/// <summary>
/// Which methods a path is served with, read off the mapped endpoints themselves (so it cannot drift from them),
/// for the fallback's 405 and OPTIONS answers. Paths compare case-insensitively, as routing matches them.
/// </summary>
internal sealed class AllowedMethods(EndpointDataSource endpoints)
{
    private readonly Lazy<(FrozenDictionary<string, string> Exact, (string Prefix, string Methods)[] Prefixes)> _table = new(() => Build(endpoints));

    /// <summary>"GET, HEAD, OPTIONS" and the like for a path some endpoint serves, or null.</summary>
    public string? For(string path)
    {
        var (exact, prefixes) = _table.Value;
        var trimmed = path.Length > 1 ? path.TrimEnd('/') : path;
        if (exact.TryGetValue(trimmed, out var methods)) return methods;
        foreach (var (prefix, prefixMethods) in prefixes)
        {
            if (trimmed.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)) return prefixMethods;
        }
        return null;
    }

    private static (FrozenDictionary<string, string>, (string, string)[]) Build(EndpointDataSource endpoints)
    {
        var exact = new Dictionary<string, SortedSet<string>>(StringComparer.OrdinalIgnoreCase);
        var prefixes = new Dictionary<string, SortedSet<string>>(StringComparer.OrdinalIgnoreCase);
        foreach (var endpoint in endpoints.Endpoints.OfType<RouteEndpoint>())
        {
            if (endpoint.Metadata.GetMetadata<HttpMethodMetadata>() is not { } metadata) continue;    // the fallback: any method
            var pattern = endpoint.RoutePattern;
            var literal = "/" + string.Join('/', pattern.PathSegments.TakeWhile(s => s.IsSimple && s.Parts[0] is RoutePatternLiteralPart)
                .Select(s => ((RoutePatternLiteralPart)s.Parts[0]).Content));
            var isExact = pattern.Parameters.Count == 0;
            // A trailing catch-all ("/v1/models/{**model}") serves everything below its literal prefix.
            if (!isExact && !(pattern.Parameters.Count == 1 && pattern.Parameters[0].IsCatchAll)) continue;
            var into = isExact ? exact : prefixes;
            var key = isExact ? literal : literal + "/";
            if (!into.TryGetValue(key, out var set)) into[key] = set = new SortedSet<string>(StringComparer.Ordinal);
            set.UnionWith(metadata.HttpMethods);
        }
        return (exact.ToFrozenDictionary(p => p.Key, p => Describe(p.Value), StringComparer.OrdinalIgnoreCase),
            [.. prefixes.Select(p => (p.Key, Describe(p.Value)))]);
    }

    private static string Describe(SortedSet<string> methods) => string.Join(", ", methods.Append(HttpMethods.Options));
}
