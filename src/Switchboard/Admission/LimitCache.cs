using System.Collections.Frozen;
using Switchboard.Storage;

namespace Switchboard.Admission;

/// <summary>
/// Every project's rate limits (by model), spend limit and credit grants, held in memory so admission reads no database to learn a
/// limit. Replaced whole when the store's version moves (<see cref="StoreSync"/>), like the key cache.
/// </summary>
internal sealed class LimitCache
{
    private sealed record Snapshot(FrozenDictionary<(string Project, string Model), RateLimitRow> RateLimits, FrozenDictionary<string, SpendLimitRow> SpendLimits,
        FrozenDictionary<string, CreditGrantRow[]> Grants);

    private volatile Snapshot _snapshot = new(FrozenDictionary<(string, string), RateLimitRow>.Empty, FrozenDictionary<string, SpendLimitRow>.Empty,
        FrozenDictionary<string, CreditGrantRow[]>.Empty);

    /// <summary>Whether any limit is set at all: without one, admission costs a field read.</summary>
    public bool IsEmpty => _snapshot.RateLimits.Count == 0 && _snapshot.SpendLimits.Count == 0 && _snapshot.Grants.Count == 0;

    public RateLimitRow? RateLimit(string project, string model) => _snapshot.RateLimits.GetValueOrDefault((project, model));

    public SpendLimitRow? SpendLimit(string project) => _snapshot.SpendLimits.GetValueOrDefault(project);

    /// <summary>A project's credit grants; empty when it has none (then its spending is not limited by credit).</summary>
    public CreditGrantRow[] Grants(string project) => _snapshot.Grants.GetValueOrDefault(project) ?? [];

    public void Load(IEnumerable<RateLimitRow> rateLimits, IEnumerable<SpendLimitRow> spendLimits, IEnumerable<CreditGrantRow> grants) =>
        _snapshot = new Snapshot(rateLimits.ToFrozenDictionary(r => (r.ProjectId, r.Model)), spendLimits.ToFrozenDictionary(s => s.ProjectId, StringComparer.Ordinal),
            grants.GroupBy(g => g.ProjectId).ToFrozenDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal));
}
