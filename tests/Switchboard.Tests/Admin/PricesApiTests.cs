using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Storage;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.Admin;

/// <summary>Model prices (our extension): listed with where they come from, set and removed at runtime, charged by every instance.</summary>
public sealed class PricesApiTests
{
    private const string Master = "sk-master-for-tests";

    private static decimal Dollars(JsonElement price, string name) => price.GetProperty(name).GetDecimal();

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task A_price_set_at_runtime_is_charged_from_then_on_and_deleting_it_restores_the_built_in_one(string kind)
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("team/model", x => x.Json(200, OpenAiShapes.Completion("hi", prompt: 1000, completion: 500)));
        var settings = upstream.GatewaySettings(("MasterKey", Master));
        if (kind == "postgres") settings["Switchboard:Database"] = await PostgresServer.CreateDatabaseAsync();
        var gateway = await GatewayHost.StartAsync(settings);
        await using (gateway)
        {
            var (_, list) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get, "/v1/organization/prices?limit=100", Master);
            var mini = list.GetProperty("data").EnumerateArray().Single(p => p.GetProperty("model").GetString() == "gpt-4o-mini");
            Assert.Equal((0.15m, 0.075m, 0.6m, "built_in"), (Dollars(mini, "input"), Dollars(mini, "cached_input"), Dollars(mini, "output"), mini.GetProperty("source").GetString()));

            var sdk = gateway.Sdk(Master);
            await sdk.GetChatClient("team/model").CompleteChatAsync("before");   // unpriced: 0
            var (status, set) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, "/v1/organization/prices/team%2Fmodel", Master, new { input = 1.25, output = 2 });
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal(("team/model", 1.25m, 1.25m, 2m, "admin"), (set.GetProperty("model").GetString(), Dollars(set, "input"), Dollars(set, "cached_input"), Dollars(set, "output"), set.GetProperty("source").GetString()));
            await sdk.GetChatClient("team/model").CompleteChatAsync("after");   // 1000 × 1.25 + 500 × 2 = 2,250 micro-dollars

            // Overriding a built-in price, then deleting the override: the built-in price is back, and a second delete finds nothing.
            Assert.Equal(HttpStatusCode.OK, (await AdminApiTests.SendAsync(gateway, HttpMethod.Post, "/v1/organization/prices/gpt-4o-mini", Master, new { input = 0.1, cached_input = 0.01, output = 0.2 })).Status);
            var (_, overridden) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get, "/v1/organization/prices/gpt-4o-mini", Master);
            Assert.Equal((0.01m, "admin"), (Dollars(overridden, "cached_input"), overridden.GetProperty("source").GetString()));
            var (deleted, gone) = await AdminApiTests.SendAsync(gateway, HttpMethod.Delete, "/v1/organization/prices/gpt-4o-mini", Master);
            Assert.Equal(HttpStatusCode.OK, deleted);
            Assert.True(gone.GetProperty("deleted").GetBoolean());
            var (_, restored) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get, "/v1/organization/prices/gpt-4o-mini", Master);
            Assert.Equal((0.15m, "built_in"), (Dollars(restored, "input"), restored.GetProperty("source").GetString()));
            Assert.Equal(HttpStatusCode.NotFound, (await AdminApiTests.SendAsync(gateway, HttpMethod.Delete, "/v1/organization/prices/gpt-4o-mini", Master)).Status);
        }
        // The price is kept in the store: a restarted gateway still lists it, and the rows were charged at the price of their time.
        settings["Switchboard:DataDirectory"] = gateway.DataDirectory;
        await using var reader = await GatewayHost.StartAsync(settings, workDirectory: gateway.WorkDirectory);
        var (_, kept) = await AdminApiTests.SendAsync(reader, HttpMethod.Get, "/v1/organization/prices/team%2Fmodel", Master);
        Assert.Equal((1.25m, "admin"), (Dollars(kept, "input"), kept.GetProperty("source").GetString()));
        var rows = await reader.App.Services.GetRequiredService<Store>().LedgerAsync(0, long.MaxValue / 2, null);
        Assert.Equal([0L, 2_250L], rows.Where(r => r.Model == "team/model").Select(r => r.CostMicros).Order());
    }

    [Fact]
    public async Task A_request_is_charged_at_the_price_its_model_had_when_it_arrived()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var priceSet = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        upstream.On("team/stream", async x =>
        {
            if (x.CallNumber == 2)
            {
                await x.Json(200, OpenAiShapes.Completion("hi", prompt: 1000, completion: 500));
                return;
            }
            await x.StartSse();
            await x.Event(OpenAiShapes.RoleChunk());
            await x.Event(OpenAiShapes.ContentChunk("hi"));
            await priceSet.Task.WaitAsync(x.Aborted);
            await x.Event(OpenAiShapes.FinishChunkWithUsage(1000, 500));
            await x.Done();
        });
        var settings = upstream.GatewaySettings(("MasterKey", Master));
        var gateway = await GatewayHost.StartAsync(settings);
        await using (gateway)
        {
            // The price is set while the stream, asked for when the model had none, is still being answered.
            await using var updates = gateway.Sdk(Master).GetChatClient("team/stream").CompleteChatStreamingAsync(["before"]).GetAsyncEnumerator();
            while (await updates.MoveNextAsync() && updates.Current.ContentUpdate.Count == 0) { }
            Assert.Equal(HttpStatusCode.OK, (await AdminApiTests.SendAsync(gateway, HttpMethod.Post, "/v1/organization/prices/team%2Fstream", Master, new { input = 1.25, output = 2 })).Status);
            priceSet.SetResult();
            while (await updates.MoveNextAsync()) { }
            await gateway.Sdk(Master).GetChatClient("team/stream").CompleteChatAsync("after");
        }
        settings["Switchboard:DataDirectory"] = gateway.DataDirectory;
        await using var reader = await GatewayHost.StartAsync(settings, workDirectory: gateway.WorkDirectory);
        var rows = await reader.App.Services.GetRequiredService<Store>().LedgerAsync(0, long.MaxValue / 2, null);
        Assert.Equal([(1, 0L), (0, 2_250L)], rows.Where(r => r.Model == "team/stream").OrderByDescending(r => r.Stream).Select(r => (r.Stream, r.CostMicros)));
    }

    [Fact]
    public async Task Bad_prices_are_refused_naming_the_parameter_and_project_keys_cannot_set_them()
    {
        await using var gateway = await AdminApiTests.StartAsync("sqlite");
        foreach (var (body, param) in new (object Body, string Param)[]
        {
            (new { output = 1 }, "input"),
            (new { input = 1 }, "output"),
            (new { input = "cheap", output = 1 }, "input"),
            (new { input = -1, output = 1 }, "input"),
            (new { input = 1, output = 1_000_000 }, "output"),
            (new { input = 1, output = 1, cached_input = 0.0000001 }, "cached_input"),
        })
        {
            var (status, error) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, "/v1/organization/prices/some-model", Master, body);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal(param, error.GetProperty("error").GetProperty("param").GetString());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await AdminApiTests.SendAsync(gateway, HttpMethod.Get, "/v1/organization/prices/never-listed", Master)).Status);
        var (_, secret, _) = await AdminApiTests.ProjectWithKeyAsync(gateway);
        var (forbidden, refusal) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, "/v1/organization/prices/some-model", secret, new { input = 1, output = 1 });
        Assert.Equal(HttpStatusCode.Forbidden, forbidden);
        Assert.Equal("insufficient_permissions", refusal.GetProperty("error").GetProperty("code").GetString());
    }

    [PostgresFact]
    public async Task A_price_set_on_one_instance_is_charged_by_another_within_the_refresh_bound()
    {
        var database = await PostgresServer.CreateDatabaseAsync();
        await using var first = await AdminApiTests.StartAsync("postgres", database);
        await using var second = await AdminApiTests.StartAsync("postgres", database);
        Assert.Equal(HttpStatusCode.OK, (await AdminApiTests.SendAsync(first, HttpMethod.Post, "/v1/organization/prices/shared-model", Master, new { input = 3, output = 4 })).Status);
        // The second instance reloads prices when the store's version moves, polled every 100 ms here.
        var started = Stopwatch.StartNew();
        while ((await AdminApiTests.SendAsync(second, HttpMethod.Get, "/v1/organization/prices/shared-model", Master)).Status != HttpStatusCode.OK)
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), "the second instance never saw the price");
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(2), $"took {started.Elapsed}");
        Assert.Equal(3_000_000, second.App.Services.GetRequiredService<Switchboard.Ledger.Prices>().For("shared-model")!.Value.Input);
    }
}
