using System.Net;
using System.Text.Json;
using Switchboard.Tests.Cli;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Hosting;

/// <summary>/readyz names each circuit breaker's state and last failure; <c>switchboard status</c> shows the same as a table.</summary>
public sealed class ReadinessTests
{
    [Fact]
    public async Task A_failing_provider_shows_open_with_its_last_failure_in_readyz_and_switchboard_status()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("rd-fails", x => x.Json(500, Error("internal detail from the upstream", "server_error", null)));
        upstream.On("rd-works", x => x.Json(200, Completion("fine")));
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Providers:up:BaseUrl"] = upstream.BaseUrl + "/v1",
            ["Switchboard:Providers:up:Models:0"] = "rd-works",
            ["Switchboard:Providers:flaky:BaseUrl"] = upstream.BaseUrl + "/v1",
            ["Switchboard:Providers:flaky:Models:0"] = "rd-fails",
            ["Switchboard:Providers:flaky:Retry:MaxRetries"] = "0",
            ["Switchboard:Providers:flaky:CircuitBreaker:FailureThreshold"] = "2",
            ["Switchboard:Providers:flaky:CircuitBreaker:BreakDuration"] = "10m",
        });

        var (_, before) = await ReadyAsync(gateway);
        Assert.Equal(("closed", JsonValueKind.Null), Breaker(before, "flaky"));
        for (var i = 0; i < 2; i++)
        {
            using var failed = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", Sse.ChatRequest("rd-fails"));
            Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        }
        await gateway.Sdk().GetChatClient("rd-works").CompleteChatAsync("hi");

        var (status, after) = await ReadyAsync(gateway);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("ready", after.GetProperty("status").GetString());
        Assert.Equal(("open", JsonValueKind.Object), Breaker(after, "flaky"));
        var failure = Provider(after, "flaky").GetProperty("last_failure");
        Assert.Equal("HTTP 500", failure.GetProperty("reason").GetString());
        Assert.InRange(failure.GetProperty("at").GetInt64(), DateTimeOffset.UtcNow.AddMinutes(-5).ToUnixTimeSeconds(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.Equal(("closed", JsonValueKind.Null), Breaker(after, "up"));
        Assert.DoesNotContain("internal detail", after.GetRawText(), StringComparison.Ordinal);

        var cli = CliRun.Against(gateway);
        cli.Environment["NO_COLOR"] = "1";
        var (exit, output, error) = await cli.RunAsync("status");
        Assert.True(exit == 0, error);
        Assert.Contains("ready", output, StringComparison.Ordinal);
        var flaky = output.Split('\n').Single(line => line.Contains("flaky", StringComparison.Ordinal));
        Assert.Contains("open", flaky, StringComparison.Ordinal);
        Assert.Contains("HTTP 500", flaky, StringComparison.Ordinal);
        Assert.Contains("closed", output.Split('\n').Single(line => line.Contains("│ up ", StringComparison.Ordinal)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Status_says_so_when_no_gateway_answers()
    {
        var cli = new CliRun();
        cli.Environment["SWITCHBOARD_URL"] = "http://127.0.0.1:9/v1";
        var (exit, _, error) = await cli.RunAsync("status");
        Assert.Equal(1, exit);
        Assert.Contains("could not reach", error, StringComparison.Ordinal);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> ReadyAsync(GatewayHost gateway)
    {
        using var response = await gateway.Http.GetAsync("/readyz");
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    private static JsonElement Provider(JsonElement ready, string name) =>
        ready.GetProperty("providers").EnumerateArray().Single(p => p.GetProperty("provider").GetString() == name);

    private static (string?, JsonValueKind) Breaker(JsonElement ready, string name)
    {
        var provider = Provider(ready, name);
        return (provider.GetProperty("circuit").GetString(), provider.GetProperty("last_failure").ValueKind);
    }
}
