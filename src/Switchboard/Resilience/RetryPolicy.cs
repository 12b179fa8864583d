using System.Globalization;
using Switchboard.Configuration;

namespace Switchboard.Resilience;

/// <summary>
/// How long to wait before the next attempt: the upstream's own <c>retry-after-ms</c>/<c>retry-after</c> when it
/// sent one, else exponential backoff with equal jitter. Time and randomness are injected so tests can see both.
/// </summary>
public sealed class RetryPolicy(TimeProvider time, Random random)
{
    /// <summary>
    /// The wait before retry <paramref name="retryNumber"/> (0 for the first), given the upstream's retry headers
    /// (<paramref name="headers"/>, names in lower case) and the provider's <paramref name="options"/>; null when the
    /// upstream asked for a wait longer than <see cref="RetryOptions.MaxDelay"/>, so waiting here is pointless.
    /// </summary>
    public TimeSpan? NextDelay(int retryNumber, RetryOptions options, IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        if (Requested(headers) is { } asked) return asked <= options.MaxDelay ? asked : null;
        var exponential = options.BaseDelay.TotalMilliseconds * Math.Pow(2, retryNumber);
        var capped = Math.Min(exponential, options.MaxDelay.TotalMilliseconds);
        // Equal jitter: half fixed so retries keep backing off, half random so clients do not retry in lockstep.
        return TimeSpan.FromMilliseconds(capped / 2 + random.NextDouble() * capped / 2);
    }

    /// <summary>The wait the upstream asked for, if any (at most <see cref="Longest"/>: anything longer is not waited for anyway).</summary>
    public TimeSpan? Requested(IReadOnlyList<KeyValuePair<string, string>> headers)
    {
        if (Header(headers, "retry-after-ms") is { } ms && Seconds(ms) is { } milliseconds) return Clamp(milliseconds / 1000);
        if (Header(headers, "retry-after") is not { } after) return null;
        if (Seconds(after) is { } seconds) return Clamp(seconds);
        if (DateTimeOffset.TryParseExact(after, "r", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var date))
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait > Longest ? Longest : wait;
        }
        return null;
    }

    /// <summary>The longest wait read from a header; the values are the upstream's and may be anything.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(1);

    private static double? Seconds(string value) =>
        double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) && double.IsFinite(number) && number >= 0 ? number : null;

    private static TimeSpan Clamp(double seconds) => seconds >= Longest.TotalSeconds ? Longest : TimeSpan.FromSeconds(seconds);

    private static string? Header(IReadOnlyList<KeyValuePair<string, string>> headers, string name)
    {
        foreach (var (key, value) in headers)
        {
            if (key == name) return value;
        }
        return null;
    }
}
