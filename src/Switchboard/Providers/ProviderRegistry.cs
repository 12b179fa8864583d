using Switchboard.Configuration;

namespace Switchboard.Providers;

/// <summary>All configured providers by name, created once and shared by every request.</summary>
public sealed class ProviderRegistry : IDisposable
{
    private readonly Dictionary<string, UpstreamProvider> _byName;

    public ProviderRegistry(GatewayOptions options, TimeProvider time)
    {
        All = options.Providers.Select(p => new UpstreamProvider(p, time)).ToList();
        _byName = All.ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyList<UpstreamProvider> All { get; }

    public UpstreamProvider Get(string name) => _byName[name];

    public void Dispose()
    {
        foreach (var provider in All) provider.Dispose();
    }
}
