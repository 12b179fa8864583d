using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Inference.Tests;
using Switchboard.Providers;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.LocalModels;

/// <summary>Many requests to one local model at once: decoded together, each exactly as if alone; idle models unloaded.</summary>
public sealed class LocalBatchingTests
{
    private static readonly string[] Prompts =
    [
        "Once upon a time", "The little dog", "Lily and Tom went to the park. They saw a big", "One day",
        "Sam had a red ball", "The sun was", "Mom said", "There was a girl named Sue. She liked to play with her",
    ];

    private static string Request(string prompt, bool stream, int maxTokens) => JsonSerializer.Serialize(new
    {
        model = "local/stories260K",
        messages = new[] { new { role = "user", content = prompt } },
        max_tokens = maxTokens,
        temperature = 0,
        stream,
    });

    /// <summary>The streamed answer's text, read chunk by chunk.</summary>
    private static async Task<string> StreamAsync(HttpClient http, string prompt, int maxTokens)
    {
        using var response = await Sse.PostAsync(http, "/v1/chat/completions", Request(prompt, stream: true, maxTokens), HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = new StringBuilder();
        foreach (var data in Sse.Events(await response.Content.ReadAsStringAsync()))
        {
            if (data == "[DONE]") break;
            var choice = Sse.Json(data).GetProperty("choices")[0];
            if (choice.GetProperty("delta").TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String) text.Append(content.GetString());
        }
        return text.ToString();
    }

    [ModelFact]
    public async Task Eight_concurrent_greedy_streams_give_exactly_what_each_gives_alone()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Local:ModelsDirectory"] = TestModels.Directory,
            ["Switchboard:Local:MaxConcurrentSequences"] = "8",
            ["Switchboard:Local:MaxQueuedRequests"] = "0",
        });
        var alone = new List<string>();
        foreach (var (prompt, i) in Prompts.Select((p, i) => (p, i))) alone.Add(await StreamAsync(gateway.Http, prompt, 40 + 5 * i));
        Assert.True(alone.Distinct().Count() > 4, "the prompts should lead to different answers");

        // No waiting room: were the eight not running at once, one would be turned away with a 429.
        var together = await Task.WhenAll(Prompts.Select((p, i) => StreamAsync(gateway.Http, p, 40 + 5 * i)));

        Assert.Equal(alone, together);
    }

    [ModelFact]
    public async Task A_model_unused_for_the_idle_time_is_unloaded_and_the_next_request_loads_it_again()
    {
        var time = new ManualTime();
        var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Local:ModelsDirectory"] = TestModels.Directory,
            ["Switchboard:Local:IdleUnloadAfter"] = "5m",
            ["Switchboard:Logging:File:Enabled"] = "true",
        }, configureServices: services => services.AddSingleton<TimeProvider>(time));
        await using (gateway)
        {
            await UseAndIdleAsync(gateway, time);
        }
        var logs = GatewayHost.ReadLogs(gateway.DataDirectory).Split('\n');
        Assert.Equal(2, logs.Count(l => l.Contains("\"event\":4003", StringComparison.Ordinal)));    // loaded twice
        var unloaded = Assert.Single(logs, l => l.Contains("\"event\":4004", StringComparison.Ordinal));
        Assert.Contains("\"Model\":\"local/stories260K\"", unloaded, StringComparison.Ordinal);
    }

    private static async Task UseAndIdleAsync(GatewayHost gateway, ManualTime time)
    {
        var local = gateway.App.Services.GetRequiredService<ProviderRegistry>().Local;
        var expected = await StreamAsync(gateway.Http, Prompts[0], 24);
        Assert.Equal(["stories260K"], local.Loaded);

        // A stream held open keeps the model loaded however long it takes.
        using (var open = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", Request(Prompts[1], stream: true, 200), HttpCompletionOption.ResponseHeadersRead))
        {
            Assert.Equal(HttpStatusCode.OK, open.StatusCode);
            time.Advance(TimeSpan.FromMinutes(30));
            Assert.Equal(["stories260K"], local.Loaded);
        }
        // Once nothing uses it, the idle time counts from the last use.
        await WaitUntilAsync(() => !Busy(gateway));
        time.Advance(TimeSpan.FromMinutes(4));
        Assert.Equal(["stories260K"], local.Loaded);
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(local.Loaded);

        Assert.Equal(expected, await StreamAsync(gateway.Http, Prompts[0], 24));
        Assert.Equal(["stories260K"], local.Loaded);
    }

    private static bool Busy(GatewayHost gateway) =>
        gateway.App.Services.GetRequiredService<ProviderRegistry>().Local.Leased > 0;

    /// <summary>Polls a condition the gateway reaches on its own threads (a stream's end after its client has gone).</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            deadline.Token.ThrowIfCancellationRequested();
            await Task.Yield();
        }
    }
}
