using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Storage;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Ledger;

/// <summary>What one ledger row says about its request: the model that answered, reasoning tokens, time to first token, and refusals.</summary>
public sealed class LedgerRowTests
{
    private const string Master = "sk-master-for-tests";

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task Rows_carry_the_served_model_reasoning_tokens_time_to_first_token_and_refused_requests(string kind)
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        // An o-series answer: 40 of its 50 output tokens were reasoning.
        upstream.On("thinker", x => x.Json(200, """
            {"id":"c1","object":"chat.completion","created":1,"model":"thinker","choices":[{"index":0,"message":{"role":"assistant","content":"42"},"finish_reason":"stop"}],
             "usage":{"prompt_tokens":12,"completion_tokens":50,"total_tokens":62,"completion_tokens_details":{"reasoning_tokens":40}}}
            """));
        upstream.On("first-choice", x => x.Json(500, Error("down", "server_error", null)));
        upstream.On("second-choice", x => x.Json(200, Completion("from the fallback")));
        upstream.On("streamer", x => StreamAnswer(x, "a", "b"));
        var settings = upstream.GatewaySettings(("MasterKey", Master), ("Providers:up:Retry:MaxRetries", "0"),
            ("Models:team-model:Providers:0", "up:first-choice"), ("Models:team-model:Providers:1", "up:second-choice"));
        if (kind == "postgres") settings["Switchboard:Database"] = await PostgresServer.CreateDatabaseAsync();

        var gateway = await GatewayHost.StartAsync(settings);
        await using (gateway)
        {
            var sdk = gateway.Sdk(Master);
            await sdk.GetChatClient("thinker").CompleteChatAsync("think");
            await sdk.GetChatClient("team-model").CompleteChatAsync("who answers?");
            await foreach (var _ in sdk.GetChatClient("streamer").CompleteChatStreamingAsync("stream")) { }
            using var refused = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
            {
                Content = new StringContent("""{"model":"thinker","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
            };
            refused.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-sb-not-a-key");
            using var response = await gateway.Http.SendAsync(refused);
            Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        }
        // Stopping drains the ledger's queue; a second gateway on the same store reads the rows.
        settings["Switchboard:DataDirectory"] = gateway.DataDirectory;
        await using var reader = await GatewayHost.StartAsync(settings, workDirectory: gateway.WorkDirectory);
        var rows = await reader.App.Services.GetRequiredService<Store>().LedgerAsync(0, long.MaxValue / 2, null);

        var thinker = Assert.Single(rows, r => r.Model == "thinker" && r.Status == 200);
        Assert.Equal((12L, 50L, 40L), (thinker.InputTokens, thinker.OutputTokens, thinker.ReasoningTokens));
        Assert.Null(thinker.TtftMs);   // sent whole: no first token before the last
        var fellBack = Assert.Single(rows, r => r.Model == "team-model");
        Assert.Equal(("second-choice", 200L), (fellBack.ServedModel, fellBack.Status));
        var streamed = Assert.Single(rows, r => r.Model == "streamer");
        Assert.NotNull(streamed.TtftMs);
        Assert.InRange(streamed.TtftMs!.Value, 0, streamed.LatencyMs);
        Assert.Equal("streamer", streamed.ServedModel);
        // Refused for its key before its body was read: recorded, with no project, key, model or cost.
        var rejected = Assert.Single(rows, r => r.Status == 401);
        Assert.Equal(("chat/completions", "-", null, null, 0L), (rejected.Endpoint, rejected.Model, rejected.ProjectId, rejected.ServedModel, rejected.CostMicros));
        Assert.Equal(4, rows.Count);
    }
}
