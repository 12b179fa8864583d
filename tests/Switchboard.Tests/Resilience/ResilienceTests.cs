using System.Diagnostics;
using System.Net;
using OpenAI.Chat;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Resilience;

[Collection(GatewayCollection.Name)]
public sealed class ResilienceTests(GatewaySuite suite) : GatewaySuiteTests(suite)
{
    private Task<System.ClientModel.ClientResult<ChatCompletion>> Complete(string model) =>
        Gateway.Sdk().GetChatClient(model).CompleteChatAsync([new UserChatMessage("hi")]);

    [Fact]
    public async Task A_429_is_retried_after_the_upstreams_retry_after_ms()
    {
        Upstream.On("retry-429", x => x.CallNumber == 1
            ? x.Json(429, Error("Rate limit reached", "requests", "rate_limit_exceeded"), ("retry-after-ms", "300"))
            : x.Json(200, Completion("after wait")));

        var result = await Complete("retry-429");

        Assert.Equal("after wait", result.Value.Content[0].Text);
        var calls = Upstream.CallsFor("retry-429");
        Assert.Equal(2, calls.Count);
        Assert.True(Stopwatch.GetElapsedTime(calls[0].Timestamp, calls[1].Timestamp) >= TimeSpan.FromMilliseconds(290),
            "the retry came before the upstream's retry-after-ms");
    }

    [Fact]
    public async Task A_500_is_retried_with_backoff()
    {
        Upstream.On("retry-500", x => x.CallNumber < 3
            ? x.Json(500, Error("boom", "server_error", null))
            : x.Json(200, Completion("third time")));

        var result = await Complete("retry-500");

        Assert.Equal("third time", result.Value.Content[0].Text);
        Assert.Equal(3, Upstream.CallsFor("retry-500").Count);
    }

    [Fact]
    public async Task A_retry_after_longer_than_the_limit_is_not_waited_for_and_reaches_the_client()
    {
        Upstream.On("retry-too-long", x => x.Json(429, Error("Rate limit reached", "tokens", "rate_limit_exceeded"), ("retry-after", "120")));

        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", "{\"model\":\"retry-too-long\",\"messages\":[]}");

        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.Equal("120", response.Headers.GetValues("retry-after").Single());
        Assert.Equal("rate_limit_exceeded", Sse.Json(await response.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("code").GetString());
        Assert.Single(Upstream.CallsFor("retry-too-long"));
    }

    [Fact]
    public async Task Upstream_x_should_retry_false_is_honoured()
    {
        Upstream.On("no-retry-503", x => x.Json(503, Error("down", "server_error", null), ("x-should-retry", "false")));

        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", "{\"model\":\"no-retry-503\",\"messages\":[]}");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("false", response.Headers.GetValues("x-should-retry").Single());
        Assert.Single(Upstream.CallsFor("no-retry-503"));
    }

    [Fact]
    public async Task An_unreachable_primary_falls_back_to_the_next_provider()
    {
        Upstream.On("fb-up", x => x.Json(200, Completion("from fallback")));

        var result = await Complete("fallback-model");

        Assert.Equal("from fallback", result.Value.Content[0].Text);
        Assert.Single(Upstream.CallsFor("fb-up"));
    }

    [Fact]
    public async Task The_breaker_opens_after_repeated_failures_and_traffic_skips_the_provider()
    {
        Upstream.On("breaker-flaky", x => x.Json(500, Error("flaky", "server_error", null)));
        Upstream.On("breaker-ok", x => x.Json(200, Completion("healthy")));

        // The first failure alone must not open it: the second request still tries the flaky provider.
        Assert.Equal("healthy", (await Complete("breaker-model")).Value.Content[0].Text);
        Assert.Single(Upstream.CallsFor("breaker-flaky"));
        for (var i = 0; i < 5; i++)
            Assert.Equal("healthy", (await Complete("breaker-model")).Value.Content[0].Text);

        // Threshold 3: exactly three requests reached the flaky provider, the rest skipped it.
        Assert.Equal(3, Upstream.CallsFor("breaker-flaky").Count);
        Assert.Equal(6, Upstream.CallsFor("breaker-ok").Count);
    }
}
