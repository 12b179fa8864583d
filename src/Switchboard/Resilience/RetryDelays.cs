using System.Globalization;
using System.Net.Http.Headers;
using Switchboard.Configuration;

namespace Switchboard.Resilience;

/// <summary>How long to wait before the next attempt: the upstream's own <c>retry-after-ms</c>/<c>retry-after</c> when it sent one, else exponential backoff with jitter.</summary>
public static class RetryDelays
{
    /// <returns>The delay, or null when the upstream asked for a wait longer than <see cref="RetryOptions.MaxDelay"/> (so waiting here is pointless).</returns>
    public static TimeSpan? Next(int retryNumber, RetryOptions options, HttpResponseHeaders? headers, TimeProvider time)
    {
        if (headers is not null && FromHeaders(headers, time) is { } asked)
            return asked <= options.MaxDelay ? asked : null;
        var exponential = options.BaseDelay.TotalMilliseconds * Math.Pow(2, retryNumber);
        var capped = Math.Min(exponential, options.MaxDelay.TotalMilliseconds);
        // Equal jitter: half fixed so retries keep backing off, half random so clients do not retry in lockstep.
        return TimeSpan.FromMilliseconds(capped / 2 + Random.Shared.NextDouble() * capped / 2);
    }

    public static TimeSpan? FromHeaders(HttpResponseHeaders headers, TimeProvider time)
    {
        if (headers.TryGetValues("retry-after-ms", out var msValues) &&
            double.TryParse(msValues.FirstOrDefault(), NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms >= 0)
            return TimeSpan.FromMilliseconds(ms);
        if (headers.RetryAfter is { } retryAfter)
        {
            if (retryAfter.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            if (retryAfter.Date is { } date)
            {
                var wait = date - time.GetUtcNow();
                return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
            }
        }
        return null;
    }
}
