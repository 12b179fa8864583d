using Switchboard.Configuration;
using Switchboard.Resilience;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.Resilience;

public sealed class CircuitBreakerTests
{
    private static readonly CircuitBreakerOptions Options = new()
    {
        FailureThreshold = 3,
        Window = TimeSpan.FromSeconds(10),
        BreakDuration = TimeSpan.FromSeconds(30),
    };

    [Fact]
    public void One_failure_never_opens_it()
    {
        var breaker = new CircuitBreaker(Options with { FailureThreshold = 2 }, new ManualTime());
        breaker.RecordFailure("test");
        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.True(breaker.TryAcquire());
    }

    [Fact]
    public void Failures_outside_the_rolling_window_do_not_count()
    {
        var time = new ManualTime();
        var breaker = new CircuitBreaker(Options, time);
        breaker.RecordFailure("test");
        breaker.RecordFailure("test");
        time.Advance(TimeSpan.FromSeconds(11));
        breaker.RecordFailure("test");
        Assert.Equal(CircuitState.Closed, breaker.State);
        breaker.RecordFailure("test");
        breaker.RecordFailure("test");
        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.False(breaker.TryAcquire());
        Assert.Equal(TimeSpan.FromSeconds(30), breaker.RetryAfter);
    }

    [Fact]
    public void After_the_break_one_probe_goes_through_and_its_success_closes_it()
    {
        var time = new ManualTime();
        var breaker = new CircuitBreaker(Options, time);
        for (var i = 0; i < 3; i++) breaker.RecordFailure("test");
        time.Advance(TimeSpan.FromSeconds(30));

        Assert.True(breaker.TryAcquire());
        Assert.Equal(CircuitState.HalfOpen, breaker.State);
        Assert.False(breaker.TryAcquire()); // only one probe at a time
        breaker.RecordSuccess();
        Assert.Equal(CircuitState.Closed, breaker.State);
        Assert.True(breaker.TryAcquire());
    }

    [Fact]
    public void A_failed_probe_opens_it_again()
    {
        var time = new ManualTime();
        var breaker = new CircuitBreaker(Options, time);
        for (var i = 0; i < 3; i++) breaker.RecordFailure("test");
        time.Advance(TimeSpan.FromSeconds(31));
        Assert.True(breaker.TryAcquire());
        breaker.RecordFailure("test");
        Assert.Equal(CircuitState.Open, breaker.State);
        Assert.False(breaker.TryAcquire());
    }

    [Fact]
    public void A_probe_that_never_reports_back_does_not_wedge_it()
    {
        var time = new ManualTime();
        var breaker = new CircuitBreaker(Options, time);
        for (var i = 0; i < 3; i++) breaker.RecordFailure("test");
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(breaker.TryAcquire());
        time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(breaker.TryAcquire());
    }
}
