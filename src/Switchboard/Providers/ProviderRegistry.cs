using Switchboard.Configuration;

namespace Switchboard.Providers;

/// <summary>All providers by name, created once and shared by every request: the configured upstreams and <c>local</c>.</summary>
public sealed class ProviderRegistry : IDisposable
{
    private readonly Dictionary<string, Provider> _byName;

    public ProviderRegistry(GatewayOptions options, TimeProvider time, ILogger<LocalProvider>? localLogger = null)
    {
        Upstreams = options.Providers.Select(p => new UpstreamProvider(p, time)).ToList();
        Local = new LocalProvider(options.Local, time, localLogger);
        _byName = Upstreams.Cast<Provider>().Append(Local).ToDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The configured upstreams, in configuration order.</summary>
    public IReadOnlyList<UpstreamProvider> Upstreams { get; }

    public LocalProvider Local { get; }

    public Provider Get(string name) => _byName[name];

    public void Dispose()
    {
        foreach (var provider in _byName.Values) provider.Dispose();
    }
}
