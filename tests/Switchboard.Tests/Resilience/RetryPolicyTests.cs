using Switchboard.Configuration;
using Switchboard.Resilience;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.Resilience;

public sealed class RetryPolicyTests
{
    /// <summary>A random source that always draws the same number, so jitter is exact.</summary>
    internal sealed class FixedRandom(double value) : Random
    {
        public override double NextDouble() => value;
    }

    private static KeyValuePair<string, string>[] Headers(params (string Name, string Value)[] values) =>
        [.. values.Select(v => new KeyValuePair<string, string>(v.Name, v.Value))];

    [Fact]
    public void Retry_after_ms_wins_over_retry_after()
    {
        var policy = new RetryPolicy(new ManualTime(), new FixedRandom(0));
        Assert.Equal(TimeSpan.FromMilliseconds(250), policy.NextDelay(0, new RetryOptions(), Headers(("retry-after-ms", "250"), ("retry-after", "3"))));
    }

    [Fact]
    public void Retry_after_in_seconds_or_as_a_date_is_honoured_and_too_long_means_give_up()
    {
        var time = new ManualTime();
        var policy = new RetryPolicy(time, new FixedRandom(0));
        Assert.Equal(TimeSpan.FromSeconds(3), policy.NextDelay(0, new RetryOptions(), Headers(("retry-after", "3"))));
        var date = (ManualTime.Epoch + TimeSpan.FromSeconds(4)).ToString("r");
        Assert.Equal(TimeSpan.FromSeconds(4), policy.NextDelay(0, new RetryOptions(), Headers(("retry-after", date))));
        Assert.Null(policy.NextDelay(0, new RetryOptions { MaxDelay = TimeSpan.FromSeconds(2) }, Headers(("retry-after", "3"))));
    }

    [Theory]
    [InlineData(0.0, 0, 50)]      // half the exponential step is fixed …
    [InlineData(1.0, 0, 100)]     // … and half is the random draw
    [InlineData(0.5, 2, 300)]     // 100 ms · 2² = 400, jittered to 200 + 0.5 · 200
    [InlineData(1.0, 9, 1000)]    // capped at MaxDelay
    public void Backoff_is_exponential_with_equal_jitter_from_the_injected_random_source(double draw, int retry, double expectedMs)
    {
        var options = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(1) };
        var policy = new RetryPolicy(new ManualTime(), new FixedRandom(draw));
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), policy.NextDelay(retry, options, []));
    }

    [Theory]
    [InlineData("retry-after-ms", "1e16")]
    [InlineData("retry-after-ms", "Infinity")]
    [InlineData("retry-after", "1e300")]
    [InlineData("retry-after", "NaN")]
    [InlineData("retry-after", "-5")]
    [InlineData("retry-after", "Tue, 01 Dec 9999 00:00:00 GMT")]
    public void Whatever_number_an_upstream_sends_there_is_no_exception_and_no_wait_past_the_limit(string header, string value)
    {
        var policy = new RetryPolicy(new ManualTime(), new FixedRandom(0));
        var options = new RetryOptions { BaseDelay = TimeSpan.FromMilliseconds(100), MaxDelay = TimeSpan.FromSeconds(10) };
        var delay = policy.NextDelay(0, options, Headers((header, value)));
        Assert.True(delay is null || delay <= options.MaxDelay, $"{delay}");
    }
}
