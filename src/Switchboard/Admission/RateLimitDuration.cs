using System.Globalization;

namespace Switchboard.Admission;

/// <summary>
/// Durations as OpenAI writes them in <c>x-ratelimit-reset-*</c> and its 429 messages (Go's notation): <c>20ms</c>,
/// <c>1s</c>, <c>1.5s</c>, <c>6m0s</c>, <c>1h0m0s</c>.
/// </summary>
internal static class RateLimitDuration
{
    public static string Format(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero) return "0s";
        // Whole milliseconds, rounded up: a client that waits this long finds the window reset.
        var ms = (long)Math.Ceiling(duration.TotalMilliseconds);
        if (ms < 1000) return string.Create(CultureInfo.InvariantCulture, $"{ms}ms");
        var hours = ms / 3_600_000;
        var minutes = ms / 60_000 % 60;
        var wholeSeconds = ms / 1000 % 60;
        var fraction = ms % 1000;
        // Go prints a fraction without trailing zeros: 1.5s, 1.25s, 1.005s.
        var seconds = fraction == 0 ? string.Create(CultureInfo.InvariantCulture, $"{wholeSeconds}s")
            : string.Create(CultureInfo.InvariantCulture, $"{wholeSeconds}.{fraction:000}").TrimEnd('0') + "s";
        return hours > 0 ? string.Create(CultureInfo.InvariantCulture, $"{hours}h{minutes}m{seconds}")
            : minutes > 0 ? string.Create(CultureInfo.InvariantCulture, $"{minutes}m{seconds}") : seconds;
    }
}
