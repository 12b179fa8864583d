using Switchboard.Admission;
using Switchboard.Configuration;
using Switchboard.Keys;
using Switchboard.Ledger;

namespace Switchboard.Storage;

/// <summary>
/// Keeps what the request path reads from memory — the <see cref="KeyCache"/>, the <see cref="Prices"/> set through
/// the admin API and the projects' limits (<see cref="LimitCache"/>) — in step with the store: polls the store's version every <c>Keys:RefreshInterval</c> (so a key
/// revoked or a price changed on another instance takes effect here within that interval plus one reload), and writes
/// the keys' last-use times in one batch every <c>Keys:LastUsedFlushInterval</c>.
/// </summary>
internal sealed class StoreSync(Store store, KeyCache cache, Prices prices, LimitCache limits, GatewayOptions options, TimeProvider time, ILogger<StoreSync> logger)
    : BackgroundService
{
    /// <summary>Reloads keys and prices from the store now (after this instance changed one).</summary>
    public async Task ReloadAsync()
    {
        var (version, keys) = await store.LiveKeysAsync();
        // Read after the version: what is loaded is at least as new as the version recorded.
        prices.Load(await store.PricesAsync());
        var (rateLimits, spendLimits, grants) = await store.AllLimitsAsync();
        limits.Load(rateLimits, spendLimits, grants);
        cache.Load(version, keys);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Keys.RefreshInterval, time);
        var lastFlush = time.GetTimestamp();
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    if (await store.KeyVersionAsync(stoppingToken) != cache.Version) await ReloadAsync();
                    if (time.GetElapsedTime(lastFlush) >= options.Keys.LastUsedFlushInterval)
                    {
                        lastFlush = time.GetTimestamp();
                        await FlushLastUsedAsync();
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    // A database that is away for a moment: the cache keeps serving what it has, and the next tick tries again.
                    Logging.Log.StoreSyncFailed(logger, e.Message);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
        await FlushLastUsedAsync();
    }

    private Task FlushLastUsedAsync() =>
        store.TouchKeysAsync([.. cache.All.Select(k => (k.Id, Used: k.TakeUnflushed())).Where(u => u.Used is not null).Select(u => (u.Id, u.Used!.Value))]);
}
