using System.Collections.Concurrent;
using Switchboard.Metering;

namespace Switchboard.Ledger;

/// <summary>A model's price in micro-dollars per million tokens (so $0.15 / 1M is 150,000): integers, never floating point.</summary>
public readonly record struct Price(long Input, long CachedInput, long Output)
{
    /// <summary>
    /// The cost in micro-dollars: uncached input, cached input and output at these prices, summed exactly (in
    /// micro-dollar-millionths) and rounded half up once, so a sum over requests is off by under one micro-dollar each.
    /// </summary>
    public long CostMicros(Usage usage)
    {
        if ((usage.PromptTokens | usage.CompletionTokens) == 0) return 0;
        long cached = Math.Clamp(usage.CachedTokens, 0, usage.PromptTokens);
        var exact = (usage.PromptTokens - cached) * Input + cached * CachedInput + (long)usage.CompletionTokens * Output;
        return (exact + 500_000) / 1_000_000;
    }
}

/// <summary>Where a model's price comes from; a later source wins over an earlier one.</summary>
public enum PriceSource { BuiltIn, Configured, Admin }

/// <summary>
/// What each model costs: a built-in table of well-known models (list prices per million tokens), overridden or
/// extended by <c>Switchboard:Prices</c> and by the prices of configured models (<c>Models:NAME:InputPricePerMillion</c>,
/// <c>OutputPricePerMillion</c>, for the name and its aliases), and those by prices set through the admin API (kept in
/// the store, reloaded by <c>StoreSync</c>). A dated or suffixed name (<c>gpt-4o-mini-2024-07-18</c>) takes the price of
/// the longest listed name it starts with. Models not listed, local ones included, cost 0. A request is charged at
/// the price its model had when it arrived (<see cref="Quote"/>): a price change never rewrites what was already
/// charged, nor what was already asked for while it is still being answered.
/// </summary>
public sealed class Prices
{
    private static readonly Dictionary<string, Price> BuiltIn = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt-4o"] = new(2_500_000, 1_250_000, 10_000_000),
        ["gpt-4o-mini"] = new(150_000, 75_000, 600_000),
        ["gpt-4.1"] = new(2_000_000, 500_000, 8_000_000),
        ["gpt-4.1-mini"] = new(400_000, 100_000, 1_600_000),
        ["gpt-4.1-nano"] = new(100_000, 25_000, 400_000),
        ["gpt-4-turbo"] = new(10_000_000, 10_000_000, 30_000_000),
        ["gpt-3.5-turbo"] = new(500_000, 500_000, 1_500_000),
        ["o1"] = new(15_000_000, 7_500_000, 60_000_000),
        ["o3"] = new(2_000_000, 500_000, 8_000_000),
        ["o3-mini"] = new(1_100_000, 550_000, 4_400_000),
        ["o4-mini"] = new(1_100_000, 275_000, 4_400_000),
        ["text-embedding-3-small"] = new(20_000, 20_000, 0),
        ["text-embedding-3-large"] = new(130_000, 130_000, 0),
        ["text-embedding-ada-002"] = new(100_000, 100_000, 0),
        ["deepseek-chat"] = new(270_000, 70_000, 1_100_000),
        ["deepseek-reasoner"] = new(550_000, 140_000, 2_190_000),
        ["qwen-turbo"] = new(50_000, 50_000, 200_000),
        ["qwen-plus"] = new(400_000, 400_000, 1_200_000),
        ["qwen-max"] = new(1_600_000, 1_600_000, 6_400_000),
    };

    // Names resolved by prefix (or found unpriced) are remembered per snapshot, up to a bound: a wildcard provider
    // serves any name a client sends, and a scan of the table per request showed in the request path's profile.
    private const int MaxRemembered = 4096;

    private sealed record Snapshot(Dictionary<string, (Price Price, PriceSource Source)> Prices)
    {
        public ConcurrentDictionary<string, Price?> Resolved { get; } = new(StringComparer.OrdinalIgnoreCase);
    }

    private readonly Lock _lock = new();
    private Dictionary<string, (Price Price, PriceSource Source)> _base;
    private IReadOnlyList<Storage.ModelPriceRow> _stored = [];
    private volatile Snapshot _current;

    public Prices(IReadOnlyDictionary<string, Price>? configured = null, IReadOnlyList<Configuration.ModelOptions>? models = null)
    {
        _base = Base(configured, models);
        _current = new Snapshot(_base);
    }

    private static Dictionary<string, (Price, PriceSource)> Base(IReadOnlyDictionary<string, Price>? configured, IReadOnlyList<Configuration.ModelOptions>? models)
    {
        var prices = new Dictionary<string, (Price, PriceSource)>(StringComparer.OrdinalIgnoreCase);
        foreach (var (model, price) in BuiltIn) prices[model] = (price, PriceSource.BuiltIn);
        foreach (var (model, price) in configured ?? new Dictionary<string, Price>()) prices[model] = (price, PriceSource.Configured);
        foreach (var model in models ?? [])
        {
            if (model.InputMicrosPerMillion is null && model.OutputMicrosPerMillion is null) continue;
            var input = model.InputMicrosPerMillion ?? 0;
            foreach (var name in model.Aliases.Prepend(model.Name)) prices[name] = (new Price(input, input, model.OutputMicrosPerMillion ?? 0), PriceSource.Configured);
        }
        return prices;
    }

    /// <summary>Replaces the prices set through the admin API (a new snapshot: a request being priced keeps the one it read).</summary>
    internal void Load(IEnumerable<Storage.ModelPriceRow> stored)
    {
        lock (_lock)
        {
            _stored = [.. stored];
            Publish();
        }
    }

    /// <summary>Replaces the configured prices (a configuration reload); those set through the admin API still win.</summary>
    internal void Configure(IReadOnlyDictionary<string, Price> configured, IReadOnlyList<Configuration.ModelOptions> models)
    {
        lock (_lock)
        {
            _base = Base(configured, models);
            Publish();
        }
    }

    private void Publish()
    {
        var current = new Dictionary<string, (Price, PriceSource)>(_base, StringComparer.OrdinalIgnoreCase);
        foreach (var row in _stored) current[row.Model] = (new Price(row.InputMicros, row.CachedInputMicros, row.OutputMicros), PriceSource.Admin);
        _current = new Snapshot(current);
    }

    /// <summary>Every listed price, by model name.</summary>
    public IEnumerable<(string Model, Price Price, PriceSource Source)> All =>
        _current.Prices.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value.Price, p.Value.Source));

    public Price? For(string model)
    {
        var snapshot = _current;
        if (snapshot.Prices.TryGetValue(model, out var exact)) return exact.Price;
        if (snapshot.Resolved.TryGetValue(model, out var resolved)) return resolved;
        Price? best = null;
        var bestLength = 0;
        foreach (var (name, (price, _)) in snapshot.Prices)
        {
            if (name.Length > bestLength && model.Length > name.Length && model.StartsWith(name, StringComparison.OrdinalIgnoreCase) && model[name.Length] is '-' or ':' or '@')
            {
                best = price;
                bestLength = name.Length;
            }
        }
        if (snapshot.Resolved.Count < MaxRemembered) snapshot.Resolved.TryAdd(model, best);
        return best;
    }

    /// <summary>The model's price now, to charge its request by when it is done (a model not listed costs 0).</summary>
    public Price Quote(string model) => For(model) ?? default;

    /// <summary>The cost in micro-dollars at the model's current price.</summary>
    public long CostMicros(string model, Usage usage) => Quote(model).CostMicros(usage);
}
