using Switchboard.Storage;

namespace Switchboard.Billing;

/// <summary>A grant with what has been used of it and where it stands now.</summary>
internal sealed record GrantState(CreditGrantRow Grant, long UsedMicros, string Status)
{
    public long AvailableMicros => Status == "available" ? Grant.AmountMicros - UsedMicros : 0;
}

/// <summary>
/// Credit grants against what was spent. Each request's cost is taken, at the time it was made, from the grants in
/// effect then, the one expiring first first (never-expiring ones last, older before newer). A grant is <c>used</c>
/// once spending has taken all of it, <c>expired</c> past its expiry with some left (the rest is lost),
/// <c>pending</c> before it takes effect, and <c>available</c> otherwise. Spending no grant covers is just spending.
/// Grants outlive the raw rows' retention: spending older than that is read from the hourly rollup, each hour's at
/// its start (so at a grant's edges an hour's spending may be taken as a whole).
/// </summary>
internal static class CreditLedger
{
    public static async Task<List<GrantState>> StateAsync(Store store, string? projectId, long now, TimeSpan rawRetention)
    {
        // Retention deletes rows older than its period at most an hour late; from the next whole hour on, every raw row is there.
        var kept = now - (long)rawRetention.TotalSeconds;
        var rawFrom = kept - kept % 3600 + 3600;
        var grants = await store.CreditGrantsAsync(projectId);
        if (grants.Count == 0) return [];
        var used = grants.ToDictionary(g => g.Id, _ => 0L);
        var order = grants.OrderBy(g => g.ExpiresAt ?? long.MaxValue).ThenBy(g => g.EffectiveAt).ThenBy(g => g.Id, StringComparer.Ordinal).ToList();
        foreach (var (at, cost) in await store.SpendingAsync(projectId, grants.Min(g => g.EffectiveAt), now + 1, rawFrom))
        {
            var remaining = cost;
            foreach (var grant in order)
            {
                if (remaining == 0) break;
                if (grant.EffectiveAt > at || grant.ExpiresAt <= at) continue;
                var take = Math.Min(remaining, grant.AmountMicros - used[grant.Id]);
                used[grant.Id] += take;
                remaining -= take;
            }
        }
        return [.. grants.Select(grant =>
        {
            var taken = used[grant.Id];
            var status = taken == grant.AmountMicros ? "used"
                : grant.EffectiveAt > now ? "pending"
                : grant.ExpiresAt is { } expires && expires <= now ? "expired"
                : "available";
            return new GrantState(grant, taken, status);
        })];
    }
}
