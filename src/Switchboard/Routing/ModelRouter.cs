using System.Collections.Frozen;
using Switchboard.Configuration;
using Switchboard.Providers;

namespace Switchboard.Routing;

/// <summary>One place a request for a model can go: a provider and the model name that provider uses.</summary>
public readonly record struct RouteCandidate(Provider Provider, string UpstreamModel);

/// <summary>A resolved route: the model as configured (after alias resolution) and its providers in order, primary first.</summary>
public sealed record ModelRoute(string Model, IReadOnlyList<RouteCandidate> Candidates, ModelOptions? Options);

/// <summary>
/// Maps the <c>model</c> a client names to providers: configured models and their aliases first,
/// then the provider(s) whose <c>Models</c> patterns match it most specifically. The one home of model matching.
/// </summary>
public sealed class ModelRouter
{
    private sealed record Snapshot(FrozenDictionary<string, ModelRoute> Configured, IReadOnlyList<ModelOptions> Models);

    private readonly ProviderRegistry _providers;
    private volatile Snapshot _current;

    public ModelRouter(GatewayOptions options, ProviderRegistry providers)
    {
        _providers = providers;
        _current = Build(options.Models, providers);
    }

    public IReadOnlyList<ModelOptions> ConfiguredModels => _current.Models;

    /// <summary>Routes new requests by <paramref name="models"/>, over the registry's current providers (apply those first).</summary>
    internal void Apply(IReadOnlyList<ModelOptions> models) => _current = Build(models, _providers);

    private static Snapshot Build(IReadOnlyList<ModelOptions> models, ProviderRegistry providers)
    {
        var routes = new Dictionary<string, ModelRoute>(StringComparer.Ordinal);
        foreach (var model in models)
        {
            var route = new ModelRoute(model.Name, model.Targets.Select(t => Candidate(providers.Get(t.Provider), t.UpstreamModel)).ToList(), model);
            routes[model.Name] = route;
            foreach (var alias in model.Aliases) routes[alias] = route;
        }
        return new Snapshot(routes.ToFrozenDictionary(StringComparer.Ordinal), models);
    }

    private static RouteCandidate Candidate(Provider provider, string model) => provider switch
    {
        UpstreamProvider upstream => new RouteCandidate(upstream, upstream.UpstreamName(model)),
        // A target "local:NAME" may also be written with the prefix clients use.
        _ => new RouteCandidate(provider, model.StartsWith(LocalProvider.Prefix, StringComparison.Ordinal) ? model[LocalProvider.Prefix.Length..] : model),
    };

    public ModelRoute? Resolve(string model)
    {
        if (_current.Configured.TryGetValue(model, out var route)) return route;
        // local/NAME is the local provider's alone, and only while its file is there.
        if (model.StartsWith(LocalProvider.Prefix, StringComparison.Ordinal))
        {
            var name = model[LocalProvider.Prefix.Length..];
            return _providers.Local.Has(name) ? new ModelRoute(model, [new RouteCandidate(_providers.Local, name)], null) : null;
        }
        // Pattern matches go to the most specific provider(s) only; explicit fallbacks are what Models entries are for.
        List<RouteCandidate>? candidates = null;
        var best = -1;
        foreach (var provider in _providers.Upstreams)
        {
            var score = MatchScore(provider.Options, model);
            if (score < 0 || score < best) continue;
            if (score > best) candidates?.Clear();
            best = score;
            (candidates ??= []).Add(new RouteCandidate(provider, provider.UpstreamName(model)));
        }
        return candidates is null ? null : new ModelRoute(model, candidates, null);
    }

    /// <summary>Whether <paramref name="provider"/> serves <paramref name="model"/> by its <c>Models</c> patterns or Azure deployments.</summary>
    public static bool Serves(ProviderOptions provider, string model) => MatchScore(provider, model) >= 0;

    /// <summary>How specifically a provider claims <paramref name="model"/>: an exact name beats a longer prefix beats <c>*</c>; -1 when it does not.</summary>
    public static int MatchScore(ProviderOptions provider, string model)
    {
        if (provider.Kind == ProviderKind.Azure && provider.Deployments.ContainsKey(model)) return int.MaxValue;
        var best = -1;
        foreach (var pattern in provider.Models)
        {
            if (pattern == model) return int.MaxValue;
            if (pattern.EndsWith('*') && model.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal))
                best = Math.Max(best, pattern.Length - 1);
        }
        return best;
    }
}
