using Switchboard.Configuration;
using Switchboard.Storage;

namespace Switchboard.Ledger;

/// <summary>
/// Keeps the raw ledger from growing without bound: once an hour, rows older than <c>Ledger:RetentionDays</c> are
/// deleted in batches of 10,000 (short transactions on a large table). Usage by day outlives them in the daily rollup.
/// </summary>
internal sealed class LedgerRetention(Store store, GatewayOptions options, TimeProvider time, ILogger<LedgerRetention> logger) : BackgroundService
{
    private const int Batch = 10_000;

    /// <summary>Deletes every raw row past the retention now; how many.</summary>
    public async Task<long> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        var cutoff = time.GetUtcNow().ToUnixTimeSeconds() - (long)options.Ledger.Retention.TotalSeconds;
        long deleted = 0;
        int last;
        do
        {
            cancellationToken.ThrowIfCancellationRequested();
            last = await store.DeleteLedgerBeforeAsync(cutoff, Batch);
            deleted += last;
        }
        while (last == Batch);
        // Admission's counters of windows long over (the longest is a month; two are kept).
        await store.DeleteCountersBeforeAsync(time.GetUtcNow().ToUnixTimeSeconds() - 62 * 86_400);
        return deleted;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromHours(1), time);
        try
        {
            do
            {
                try
                {
                    await RunOnceAsync(stoppingToken);
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    Logging.Log.LedgerWriteFailed(logger, 0, "retention: " + e.Message);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException)
        {
            // Stopping.
        }
    }
}
