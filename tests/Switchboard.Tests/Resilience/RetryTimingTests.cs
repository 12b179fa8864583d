using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Resilience;

/// <summary>Retries seen on the gateway's own clock: how many attempts, and how long it waits before each.</summary>
public sealed class RetryTimingTests
{
    [Fact]
    public async Task A_failing_upstream_is_retried_after_exactly_the_backoff_and_not_before()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var calls = 0;
        upstream.On("backoff", x => Interlocked.Increment(ref calls) < 3
            ? x.Json(500, Error("boom", "server_error", null))
            : x.Json(200, Completion("third time")));
        var time = new ManualTime();
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(
            ("Providers:up:Retry:MaxRetries", "2"),
            ("Providers:up:Retry:BaseDelay", "400ms"),
            ("Providers:up:Retry:MaxDelay", "10s"),
            ("Providers:up:CircuitBreaker:FailureThreshold", "1000")), configureServices: services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddSingleton<Random>(new RetryPolicyTests.FixedRandom(0.25));
        });

        var request = Sse.PostAsync(gateway.Http, "/v1/chat/completions", """{"model":"backoff","messages":[]}""");

        // Equal jitter with the draw fixed at 0.25: half the step plus a quarter of the other half.
        var first = await time.NextTimerAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromMilliseconds(200 + 50), first.DueTime);
        Assert.Single(upstream.CallsFor("backoff"));
        time.Advance(TimeSpan.FromMilliseconds(249));
        Assert.Single(upstream.CallsFor("backoff"));
        time.Advance(TimeSpan.FromMilliseconds(1));

        var second = await time.NextTimerAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(TimeSpan.FromMilliseconds(400 + 100), second.DueTime);
        Assert.Equal(2, upstream.CallsFor("backoff").Count);
        time.Advance(second.DueTime);

        using var response = await request.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, upstream.CallsFor("backoff").Count);
    }

    [Fact]
    public async Task An_upstream_that_keeps_dropping_the_connection_gets_one_try_and_max_retries_then_a_502()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("always-reset", x =>
        {
            x.Reset();
            return Task.CompletedTask;
        });
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(
            ("Providers:up:Retry:MaxRetries", "3"),
            ("Providers:up:Retry:BaseDelay", "1ms"),
            ("Providers:up:CircuitBreaker:FailureThreshold", "1000")));

        using var response = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", """{"model":"always-reset","messages":[]}""");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream_connection_closed", OpenAiErrors.AssertShape(await response.Content.ReadAsStringAsync()).GetProperty("code").GetString());
        Assert.Equal(4, upstream.CallsFor("always-reset").Count);
    }
}
