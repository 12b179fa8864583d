using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Switchboard.Buffers;
using Switchboard.Configuration;
using Switchboard.Logging;
using Switchboard.Providers;

namespace Switchboard.Routing;

/// <summary>A model in OpenAI's list shape.</summary>
public sealed record ModelEntry(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy)
{
    [JsonPropertyName("object")]
    public string Kind => "model";
}

public sealed record ModelList([property: JsonPropertyName("data")] IReadOnlyList<ModelEntry> Data)
{
    [JsonPropertyName("object")]
    public string Kind => "list";
}

/// <summary>
/// The union of what every provider serves: configured models and aliases, the local models (<c>local/NAME</c>),
/// names providers list explicitly, and — for providers that serve by pattern — the upstream's own list, cached briefly.
/// </summary>
internal sealed class ModelCatalog(GatewayOptions options, BufferBudget budget, ModelRouter router, ProviderRegistry providers, TimeProvider time, ILogger<ModelCatalog> logger)
{
    private static readonly TimeSpan CacheFor = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan ListTimeout = TimeSpan.FromSeconds(5);
    private readonly ConcurrentDictionary<string, (DateTimeOffset At, IReadOnlyList<ModelEntry> Models)> _upstreamLists = new();
    private readonly long _started = time.GetUtcNow().ToUnixTimeSeconds();

    public async Task<IReadOnlyList<ModelEntry>> ListAsync(CancellationToken cancellationToken)
    {
        var entries = new Dictionary<string, ModelEntry>(StringComparer.Ordinal);
        foreach (var model in router.ConfiguredModels)
        {
            var owner = model.Targets[0].Provider;
            foreach (var name in model.Aliases.Prepend(model.Name)) entries.TryAdd(name, new ModelEntry(name, _started, owner));
        }
        foreach (var name in providers.Local.ModelNames)
            entries.TryAdd(LocalProvider.Prefix + name, new ModelEntry(LocalProvider.Prefix + name, _started, LocalOptions.ProviderName));
        foreach (var provider in providers.Upstreams)
        {
            foreach (var name in provider.Options.Models.Where(m => !m.EndsWith('*')).Concat(provider.Options.Deployments.Keys))
                entries.TryAdd(name, new ModelEntry(name, _started, provider.Name));
        }
        var listed = await Task.WhenAll(providers.Upstreams.Where(p => p.Options.Models.Any(m => m.EndsWith('*')))
            .Select(p => UpstreamModelsAsync(p, cancellationToken)));
        foreach (var model in listed.SelectMany(list => list)) entries.TryAdd(model.Id, model);
        return entries.Values.OrderBy(e => e.Id, StringComparer.Ordinal).ToList();
    }

    private async Task<IReadOnlyList<ModelEntry>> UpstreamModelsAsync(UpstreamProvider provider, CancellationToken cancellationToken)
    {
        if (_upstreamLists.TryGetValue(provider.Name, out var cached) && time.GetUtcNow() - cached.At < CacheFor) return cached.Models;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(ListTimeout);
            using var request = provider.CreateListModelsRequest();
            using var response = await provider.Client.SendAsync(request, timeout.Token);
            if (!response.IsSuccessStatusCode)
            {
                Log.ModelListFailed(logger, provider.Name, $"status {(int)response.StatusCode}");
                return [];
            }
            await using var body = await response.Content.ReadAsStreamAsync(timeout.Token);
            // Bounded like every upstream response: a huge or endless list cannot grow the gateway.
            using var buffer = new ByteBuffer(budget, options.Limits.MaxResponseBodyBytes);
            var read = await buffer.ReadToEndAsync(body, response.Content.Headers.ContentLength, timeout.Token);
            if (read != GrowResult.Ok)
            {
                Log.ModelListFailed(logger, provider.Name, read.ToString());
                return [];
            }
            using var document = JsonDocument.Parse(buffer.Written);
            var models = new List<ModelEntry>();
            if (document.RootElement.TryGetProperty("data"u8, out var data) && data.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in data.EnumerateArray())
                {
                    if (!item.TryGetProperty("id"u8, out var id) || id.GetString() is not { } name || !ModelRouter.Serves(provider.Options, name)) continue;
                    var created = item.TryGetProperty("created"u8, out var c) && c.TryGetInt64(out var at) ? at : _started;
                    var owner = item.TryGetProperty("owned_by"u8, out var o) && o.GetString() is { } by ? by : provider.Name;
                    models.Add(new ModelEntry(name, created, owner));
                }
            }
            _upstreamLists[provider.Name] = (time.GetUtcNow(), models);
            return models;
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or JsonException or InvalidOperationException)
        {
            if (cancellationToken.IsCancellationRequested) throw;
            Log.ModelListFailed(logger, provider.Name, e.GetType().Name);
            return [];
        }
    }
}
