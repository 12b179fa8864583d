using System.Net.Http.Headers;
using Switchboard.Configuration;
using Switchboard.Resilience;

namespace Switchboard.Tests.Resilience;

public sealed class RetryDelaysTests
{
    private static HttpResponseHeaders Headers(params (string, string)[] values)
    {
        var message = new HttpResponseMessage();
        foreach (var (name, value) in values) message.Headers.TryAddWithoutValidation(name, value);
        return message.Headers;
    }

    [Fact]
    public void Retry_after_ms_wins_over_retry_after()
    {
        var delay = RetryDelays.Next(0, new RetryOptions(), Headers(("retry-after-ms", "250"), ("retry-after", "3")), TimeProvider.System);
        Assert.Equal(TimeSpan.FromMilliseconds(250), delay);
    }

    [Fact]
    public void Retry_after_seconds_is_honoured_and_too_long_means_give_up()
    {
        Assert.Equal(TimeSpan.FromSeconds(3), RetryDelays.Next(0, new RetryOptions(), Headers(("retry-after", "3")), TimeProvider.System));
        Assert.Null(RetryDelays.Next(0, new RetryOptions { MaxDelay = TimeSpan.FromSeconds(2) }, Headers(("retry-after", "3")), TimeProvider.System));
    }

    [Fact]
    public void Backoff_grows_exponentially_with_jitter_and_is_capped()
    {
        var options = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1) };
        for (var i = 0; i < 50; i++)
        {
            var first = RetryDelays.Next(0, options, null, TimeProvider.System)!.Value;
            var third = RetryDelays.Next(2, options, null, TimeProvider.System)!.Value;
            var tenth = RetryDelays.Next(9, options, null, TimeProvider.System)!.Value;
            Assert.InRange(first.TotalMilliseconds, 50, 100);
            Assert.InRange(third.TotalMilliseconds, 200, 400);
            Assert.InRange(tenth.TotalMilliseconds, 500, 1000);
        }
    }
}
