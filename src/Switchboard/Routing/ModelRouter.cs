using System.Collections.Frozen;
using Switchboard.Configuration;
using Switchboard.Providers;

namespace Switchboard.Routing;

/// <summary>One place a request for a model can go: a provider and the model name that provider uses.</summary>
public readonly record struct RouteCandidate(UpstreamProvider Provider, string UpstreamModel);

/// <summary>A resolved route: the model as configured (after alias resolution) and its providers in order, primary first.</summary>
public sealed record ModelRoute(string Model, IReadOnlyList<RouteCandidate> Candidates, ModelOptions? Options);

/// <summary>
/// Maps the <c>model</c> a client names to providers: configured models and their aliases first,
/// then providers whose <c>Models</c> patterns match, in configuration order.
/// </summary>
public sealed class ModelRouter
{
    private readonly FrozenDictionary<string, ModelRoute> _configured;
    private readonly ProviderRegistry _providers;

    public ModelRouter(GatewayOptions options, ProviderRegistry providers)
    {
        _providers = providers;
        var routes = new Dictionary<string, ModelRoute>(StringComparer.Ordinal);
        foreach (var model in options.Models)
        {
            var route = new ModelRoute(model.Name,
                model.Targets.Select(t => new RouteCandidate(providers.Get(t.Provider), t.UpstreamModel)).ToList(), model);
            routes[model.Name] = route;
            foreach (var alias in model.Aliases) routes[alias] = route;
        }
        _configured = routes.ToFrozenDictionary(StringComparer.Ordinal);
        ConfiguredModels = options.Models;
    }

    public IReadOnlyList<ModelOptions> ConfiguredModels { get; }

    public ModelRoute? Resolve(string model)
    {
        if (_configured.TryGetValue(model, out var route)) return route;
        List<RouteCandidate>? candidates = null;
        foreach (var provider in _providers.All)
        {
            if (provider.Serves(model)) (candidates ??= []).Add(new RouteCandidate(provider, model));
        }
        return candidates is null ? null : new ModelRoute(model, candidates, null);
    }
}
