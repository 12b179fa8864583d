using System.Collections.Frozen;
using System.Text.Json;
using Switchboard.Configuration;

namespace Switchboard.Providers;

/// <summary>
/// All providers by name, shared by every request: the configured upstreams and <c>local</c>. A configuration reload
/// replaces the upstreams as one snapshot (<see cref="Apply"/>): a request keeps the providers its route named, so
/// in-flight requests finish on the old configuration. An upstream whose settings did not change is kept as it is,
/// with its connections and its breaker's state.
/// </summary>
public sealed class ProviderRegistry : IDisposable
{
    private sealed record Snapshot(IReadOnlyList<UpstreamProvider> Upstreams, FrozenDictionary<string, Provider> ByName);

    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    // Replaced providers may still serve requests begun before the reload; their clients are disposed at shutdown
    // (idle pooled connections close on their own after a minute).
    private readonly List<Provider> _retired = [];
    private volatile Snapshot _current;

    public ProviderRegistry(GatewayOptions options, TimeProvider time, ILogger<LocalProvider>? localLogger = null)
    {
        _time = time;
        Local = new LocalProvider(options.Local, time, localLogger);
        _current = Build([.. options.Providers.Select(p => new UpstreamProvider(p, time))]);
    }

    /// <summary>The configured upstreams, in configuration order.</summary>
    public IReadOnlyList<UpstreamProvider> Upstreams => _current.Upstreams;

    public LocalProvider Local { get; }

    public Provider Get(string name) => _current.ByName[name];

    /// <summary>Makes <paramref name="providers"/> the upstreams for new requests; returns the names added, changed or removed.</summary>
    internal IReadOnlyList<string> Apply(IReadOnlyList<ProviderOptions> providers)
    {
        lock (_lock)
        {
            var old = _current;
            var kept = new List<UpstreamProvider>(providers.Count);
            var changed = new List<string>();
            foreach (var options in providers)
            {
                var same = old.Upstreams.FirstOrDefault(u => u.Name == options.Name && Same(u.Options, options));
                if (same is null) changed.Add(options.Name);
                kept.Add(same ?? new UpstreamProvider(options, _time));
            }
            foreach (var gone in old.Upstreams.Where(u => !kept.Contains(u)))
            {
                _retired.Add(gone);
                if (!changed.Contains(gone.Name)) changed.Add(gone.Name);
            }
            _current = Build(kept);
            return changed;
        }
    }

    // Records compare their collections by reference; their JSON compares what was configured.
    private static bool Same(ProviderOptions a, ProviderOptions b) => JsonSerializer.Serialize(a) == JsonSerializer.Serialize(b);

    private Snapshot Build(IReadOnlyList<UpstreamProvider> upstreams) =>
        new(upstreams, upstreams.Cast<Provider>().Append(Local).ToFrozenDictionary(p => p.Name, StringComparer.OrdinalIgnoreCase));

    public void Dispose()
    {
        foreach (var provider in _current.ByName.Values) provider.Dispose();
        lock (_lock)
        {
            foreach (var provider in _retired) provider.Dispose();
        }
    }
}
