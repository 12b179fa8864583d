using Switchboard.Configuration;
using Switchboard.Storage;

namespace Switchboard.Keys;

/// <summary>
/// Keeps the <see cref="KeyCache"/> in step with the store: polls the key version every <c>Keys:RefreshInterval</c>
/// (so a key revoked on another instance stops working here within that interval plus one reload), and writes the
/// keys' last-use times in one batch every <c>Keys:LastUsedFlushInterval</c>.
/// </summary>
internal sealed class KeySync(Store store, KeyCache cache, GatewayOptions options, TimeProvider time, ILogger<KeySync> logger) : BackgroundService
{
    /// <summary>Reloads the cache from the store now (after this instance changed a key).</summary>
    public async Task ReloadAsync()
    {
        var (version, keys) = await store.LiveKeysAsync();
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
                    Logging.Log.KeySyncFailed(logger, e.Message);
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
