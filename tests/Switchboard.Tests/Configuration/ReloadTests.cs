using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Configuration;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Configuration;

/// <summary>Editing the config file (or sending SIGHUP) reconfigures a running gateway; a bad edit changes nothing.</summary>
public sealed class ReloadTests
{
    private static string Config(string upstream, decimal inputPrice, int maxBody = 1 << 20) => $$"""
        { "Limits": { "MaxRequestBodyBytes": {{maxBody}} },
          "Providers": { "main": { "BaseUrl": "{{upstream}}/v1", "Models": ["rl-*"] } },
          "Models": { "rl-alias-target": { "Providers": ["main:rl-model"], "Aliases": ["rl-alias"] } },
          "Prices": { "rl-model": { "Input": {{inputPrice}}, "Output": 1 } } }
        """;

    [Fact]
    public async Task An_edit_reaches_new_requests_while_a_running_stream_finishes_on_the_old_provider_and_a_bad_edit_is_rejected()
    {
        await using var first = await ScriptedUpstream.StartAsync();
        await using var second = await ScriptedUpstream.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        first.On("rl-model", async x =>
        {
            await x.StartSse();
            await x.Event(RoleChunk());
            await x.Event(ContentChunk("from first"));
            await release.Task.WaitAsync(x.Aborted);
            await x.Event(FinishChunkWithUsage(3, 2));
            await x.Done();
        });
        second.On("rl-model", x => x.Json(200, Completion("from second")));
        var work = Directory.CreateTempSubdirectory("switchboard-reload-").FullName;
        var config = Path.Combine(work, "switchboard.json");
        await File.WriteAllTextAsync(config, Config(first.BaseUrl, 1));
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:Logging:File:Enabled"] = "true" }, workDirectory: work);
        var reloader = gateway.App.Services.GetRequiredService<ConfigurationReloader>();
        var prices = gateway.App.Services.GetRequiredService<Switchboard.Ledger.Prices>();
        var sdk = gateway.Sdk();

        await using var stream = sdk.GetChatClient("rl-model").CompleteChatStreamingAsync(["hi"]).GetAsyncEnumerator();
        while (await stream.MoveNextAsync() && !stream.Current.ContentUpdate.Any(part => part.Text.Length > 0)) { }
        Assert.Equal("from first", stream.Current.ContentUpdate[0].Text);

        // Saved as editors do: a new file moved over the old one.
        var applied = WaitForAsync(reloader, applied: true);
        await File.WriteAllTextAsync(config + ".tmp", Config(second.BaseUrl, 2));
        File.Move(config + ".tmp", config, overwrite: true);
        await applied;
        Assert.Equal("from second", (await sdk.GetChatClient("rl-model").CompleteChatAsync("next")).Value.Content[0].Text);
        Assert.Equal("from second", (await sdk.GetChatClient("rl-alias").CompleteChatAsync("by alias")).Value.Content[0].Text);
        Assert.Equal(2_000_000, prices.For("rl-model")!.Value.Input);
        var large = $$"""{"model":"rl-model","messages":[{"role":"user","content":"{{new string('x', 8000)}}"}]}""";
        using (var fits = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", large))
            Assert.Equal(System.Net.HttpStatusCode.OK, fits.StatusCode);

        // The stream that began before the edit ends on the provider it began on.
        release.SetResult();
        var finished = false;
        while (await stream.MoveNextAsync()) finished |= stream.Current.FinishReason is not null;
        Assert.True(finished);
        Assert.Single(first.CallsFor("rl-model"));

        // A bad edit: rejected with its reasons logged, and the configuration in effect stays.
        var rejected = WaitForAsync(reloader, applied: false);
        await File.WriteAllTextAsync(config, """{ "Providers": { "main": { "BaseUrl": "not a url", "Models": ["rl-*"] } } }""");
        var outcome = await rejected;
        Assert.Contains("Switchboard:Providers:main:BaseUrl", outcome.Problems, StringComparison.Ordinal);
        Assert.Equal("from second", (await sdk.GetChatClient("rl-model").CompleteChatAsync("still")).Value.Content[0].Text);
        Assert.Equal(2_000_000, prices.For("rl-model")!.Value.Input);

        // SIGHUP reads the sources again too. (This edit also lowers the request size limit, checked below.)
        var fixedUp = WaitForAsync(reloader, applied: true);
        await File.WriteAllTextAsync(config + ".tmp", Config(second.BaseUrl, 3, maxBody: 4096));
        File.Move(config + ".tmp", config, overwrite: true);
        await fixedUp;
        var hangup = WaitForAsync(reloader, applied: true, trigger: "SIGHUP");
        using (var kill = Process.Start("kill", ["-HUP", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        await hangup;
        Assert.Equal(3_000_000, prices.For("rl-model")!.Value.Input);

        // Limits apply to new requests too: a body that was fine before the edit is now too large.
        using (var tooLarge = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", large))
            Assert.Equal(System.Net.HttpStatusCode.RequestEntityTooLarge, tooLarge.StatusCode);
        Assert.Equal("from second", (await sdk.GetChatClient("rl-model").CompleteChatAsync("small")).Value.Content[0].Text);

        var logs = GatewayHost.ReadLogs(gateway.DataDirectory);
        Assert.Contains("Configuration change rejected", logs, StringComparison.Ordinal);
        Assert.Contains("Configuration reloaded", logs, StringComparison.Ordinal);
    }

    /// <summary>
    /// The first reload attempt with that outcome. A save can raise more than one file event, and the reload of an
    /// earlier event may still read the file as it was, so attempts with the other outcome are passed over.
    /// </summary>
    private static async Task<ReloadOutcome> WaitForAsync(ConfigurationReloader reloader, bool applied, string? trigger = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (true)
        {
            var outcome = await reloader.NextReload.WaitAsync(timeout.Token);
            if (outcome.Applied == applied && (trigger is null || outcome.Trigger == trigger)) return outcome;
        }
    }
}
