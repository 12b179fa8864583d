using System.Text.Json;
using OpenAI.Chat;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Logging;

public sealed class RequestLogTests
{
    private const string ProviderKey = "sk-upstream-secret-4f9a";
    private const string ClientKey = "sk-client-secret-77b1";
    private const string Prompt = "SECRET-PROMPT-9c2e";
    private const string Answer = "SECRET-COMPLETION-0d3f";

    private static async Task<(string RequestId, string Log)> RunOneRequest(bool logContent)
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("logged-model", x => x.Json(200, Completion(Answer, 21, 4)));
        string requestId, dataDirectory;
        var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Logging:File:Enabled"] = "true",
            ["Switchboard:Logging:LogContent"] = logContent ? "true" : "false",
            ["Switchboard:Providers:up:BaseUrl"] = upstream.BaseUrl + "/v1",
            ["Switchboard:Providers:up:ApiKey"] = ProviderKey,
            ["Switchboard:Providers:up:Models:0"] = "*",
        });
        await using (gateway)
        {
            var result = await gateway.Sdk(ClientKey).GetChatClient("logged-model").CompleteChatAsync([new UserChatMessage(Prompt)]);
            requestId = result.GetRawResponse().Headers.TryGetValue("x-request-id", out var id) ? id! : "";
            dataDirectory = gateway.DataDirectory;
        }
        // Stopping the gateway flushes the file sink.
        var log = GatewayHost.ReadLogs(dataDirectory);
        return (requestId, log);
    }

    [Fact]
    public async Task One_structured_line_per_request_with_tokens_and_no_secrets_or_content()
    {
        var (requestId, log) = await RunOneRequest(logContent: false);

        var line = log.Split('\n').Single(l => l.Contains(requestId, StringComparison.Ordinal) && l.Contains("\"event\":2000", StringComparison.Ordinal));
        var entry = JsonDocument.Parse(line).RootElement;
        Assert.Equal("logged-model", entry.GetProperty("Model").GetString());
        Assert.Equal("up", entry.GetProperty("Provider").GetString());
        Assert.Equal(200, entry.GetProperty("Status").GetInt32());
        Assert.Equal(21, entry.GetProperty("PromptTokens").GetInt32());
        Assert.Equal(4, entry.GetProperty("CompletionTokens").GetInt32());
        Assert.True(entry.GetProperty("LatencyMs").GetDouble() > 0);

        Assert.DoesNotContain(ProviderKey, log, StringComparison.Ordinal);
        Assert.DoesNotContain(ClientKey, log, StringComparison.Ordinal);
        Assert.DoesNotContain(Prompt, log, StringComparison.Ordinal);
        Assert.DoesNotContain(Answer, log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Content_is_logged_only_when_explicitly_enabled()
    {
        var (_, log) = await RunOneRequest(logContent: true);
        Assert.Contains(Prompt, log, StringComparison.Ordinal);
        Assert.DoesNotContain(ProviderKey, log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Streamed_and_aborted_requests_are_recorded_with_their_usage()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("streamed", x => StreamAnswer(x, "a", "b", "c"));
        var clientLeft = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        upstream.On("abandoned", async x =>
        {
            await x.StartSse();
            await x.Event(ContentChunkWithUsage("partial", 17, 1));
            await clientLeft.Task.WaitAsync(TimeSpan.FromSeconds(15), x.Aborted);
            await x.Stall();
        });
        string dataDirectory;
        var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Logging:File:Enabled"] = "true",
            ["Switchboard:Providers:up:BaseUrl"] = upstream.BaseUrl + "/v1",
            ["Switchboard:Providers:up:Models:0"] = "*",
        });
        await using (gateway)
        {
            using (var done = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", Sse.ChatRequest("streamed")))
                await done.Content.ReadAsStringAsync();

            var response = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", Sse.ChatRequest("abandoned"), HttpCompletionOption.ResponseHeadersRead);
            var body = await response.Content.ReadAsStreamAsync();
            Assert.True(await body.ReadAsync(new byte[1]) > 0);
            response.Dispose();
            clientLeft.SetResult();
            await upstream.CallsFor("abandoned").Single().Aborted.WaitAsync(TimeSpan.FromSeconds(15));
            dataDirectory = gateway.DataDirectory;
        }

        var entries = Directory.GetFiles(Path.Combine(dataDirectory, "logs")).SelectMany(File.ReadAllLines)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("event").GetInt32() == 2000).ToList();
        var streamed = entries.Single(e => e.GetProperty("Model").GetString() == "streamed");
        Assert.Equal(200, streamed.GetProperty("Status").GetInt32());
        Assert.Equal(5, streamed.GetProperty("PromptTokens").GetInt32());
        Assert.Equal(3, streamed.GetProperty("CompletionTokens").GetInt32());
        Assert.True(streamed.GetProperty("Stream").GetBoolean());
        var abandoned = entries.Single(e => e.GetProperty("Model").GetString() == "abandoned");
        Assert.Equal(499, abandoned.GetProperty("Status").GetInt32());
        Assert.Equal(17, abandoned.GetProperty("PromptTokens").GetInt32());
    }
}
