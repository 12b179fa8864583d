using System.Collections.Frozen;
using Switchboard.Storage;

namespace Switchboard.Keys;

/// <summary>A live key as the request path sees it. <see cref="LastUsed"/> is written per request, in memory only.</summary>
internal sealed class CachedKey(ApiKeyRow row)
{
    private long _lastUsed = row.LastUsedAt ?? 0;
    private long _flushed = row.LastUsedAt ?? 0;

    public string Id { get; } = row.Id;
    public bool IsAdmin { get; } = row.Kind == ApiKeyRow.AdminKind;
    public string? ProjectId { get; } = row.ProjectId;
    public long? ExpiresAt { get; } = row.ExpiresAt;

    /// <summary>The models this key may call (our extension); null for any.</summary>
    public FrozenSet<string>? AllowedModels { get; } = row.AllowedModels is null ? null
        : System.Text.Json.JsonSerializer.Deserialize<string[]>(row.AllowedModels)!.ToFrozenSet(StringComparer.Ordinal);

    /// <summary>The key's own limits (our extension); null for none.</summary>
    public KeyLimits? Limits { get; } = row.Limits is null ? null : System.Text.Json.JsonSerializer.Deserialize<KeyLimits>(row.Limits);

    /// <summary>The caller this key makes (one object per key, not one per request).</summary>
    public Authentication.Caller Caller => _caller ??= new(IsAdmin ? Authentication.CallerKind.Admin : Authentication.CallerKind.Project, Id, ProjectId, AllowedModels)
    {
        Limits = Limits,
    };

    private Authentication.Caller? _caller;

    public long LastUsed => Volatile.Read(ref _lastUsed);

    public void MarkUsed(long at)
    {
        // Seconds resolution: most requests find it already set and write nothing.
        if (Volatile.Read(ref _lastUsed) < at) Volatile.Write(ref _lastUsed, at);
    }

    /// <summary>The last use not yet written to the store, if any; taken once.</summary>
    public long? TakeUnflushed()
    {
        var used = LastUsed;
        if (used <= _flushed) return null;
        _flushed = used;
        return used;
    }

    public void CarryOver(CachedKey previous)
    {
        MarkUsed(previous.LastUsed);
        _flushed = Math.Max(_flushed, previous._flushed);
    }
}

/// <summary>
/// Every live key by the SHA-256 of its secret: authenticating a request is a hash and a dictionary lookup, never
/// a database query. Replaced whole (an immutable snapshot) when the store's key version moves, which
/// <see cref="StoreSync"/> checks every <c>Keys:RefreshInterval</c>; this instance's own changes reload it at once.
/// </summary>
internal sealed class KeyCache
{
    private volatile Snapshot _snapshot = new(-1, FrozenDictionary<string, CachedKey>.Empty, false, false);

    public long Version => _snapshot.Version;

    /// <summary>Whether any project key exists: from then on every <c>/v1</c> call needs a key.</summary>
    public bool HasProjectKeys => _snapshot.HasProjectKeys;

    public bool HasAdminKeys => _snapshot.HasAdminKeys;

    public bool IsEmpty => _snapshot.ByHash.Count == 0;

    public CachedKey? Find(string secretHash) => _snapshot.ByHash.GetValueOrDefault(secretHash);

    public IEnumerable<CachedKey> All => _snapshot.ByHash.Values;

    public void Load(long version, IReadOnlyList<ApiKeyRow> rows)
    {
        var previous = _snapshot.ByHash.Values.ToDictionary(k => k.Id);
        var keys = rows.ToFrozenDictionary(r => r.SecretHash, r =>
        {
            var key = new CachedKey(r);
            if (previous.TryGetValue(r.Id, out var old)) key.CarryOver(old);
            return key;
        }, StringComparer.Ordinal);
        _snapshot = new Snapshot(version, keys, keys.Values.Any(k => !k.IsAdmin), keys.Values.Any(k => k.IsAdmin));
    }

    private sealed record Snapshot(long Version, FrozenDictionary<string, CachedKey> ByHash, bool HasProjectKeys, bool HasAdminKeys);
}
