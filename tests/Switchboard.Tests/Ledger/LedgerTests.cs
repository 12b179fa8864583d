using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Ledger;
using Switchboard.Metering;
using Switchboard.Tests.Admin;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Ledger;

/// <summary>Every request metered — whole, streamed, failed, abandoned mid-stream — and OpenAI's usage and costs answers totalling them exactly.</summary>
public sealed class LedgerTests
{
    private const string Master = "sk-master-for-tests";

    [Fact]
    public void Costs_are_integer_micro_dollars_rounded_once_and_dated_names_take_their_models_price()
    {
        var prices = new Prices(new Dictionary<string, Price> { ["my-model"] = new(1_000_000, 500_000, 2_000_000) });
        // gpt-4o-mini: $0.15 in, $0.075 cached, $0.60 out per million tokens.
        Assert.Equal(450, prices.CostMicros("gpt-4o-mini", new Usage(1000, 500, 1500, 0)));
        Assert.Equal(450, prices.CostMicros("gpt-4o-mini-2024-07-18", new Usage(1000, 500, 1500, 0)));
        // 600 uncached × 0.15 + 400 cached × 0.075 + 0 out = 90 + 30.
        Assert.Equal(120, prices.CostMicros("gpt-4o-mini", new Usage(1000, 0, 1000, 400)));
        // gpt-4o: 5 × 2.5 + 3 × 10 = 42.5 micro-dollars, rounded half up once.
        Assert.Equal(43, prices.CostMicros("gpt-4o", new Usage(5, 3, 8, 0)));
        Assert.Equal(7, prices.CostMicros("my-model", new Usage(3, 2, 5, 0)));
        Assert.Equal(0, prices.CostMicros("local/stories260K", new Usage(100, 100, 200, 0)));
        Assert.Equal(0, prices.CostMicros("gpt-4oo", new Usage(100, 100, 200, 0)));   // a longer name, not a variant
    }

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task Usage_and_costs_total_exactly_the_requests_made_per_key_and_model(string kind)
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => x.Json(200, Completion("hi", prompt: 1000, completion: 500)));
        upstream.On("gpt-4o", x => StreamAnswer(x, "a", "b", "c"));
        upstream.On("broken", x => x.Json(500, Error("boom", "server_error", null)));
        upstream.On("slow", async x =>
        {
            await x.StartSse();
            await x.Event(RoleChunk());
            await x.Event(ContentChunk("one"));
            await x.Event(ContentChunk("two"));
            await x.Stall();
        });
        var settings = upstream.GatewaySettings(("MasterKey", Master), ("Providers:up:Retry:MaxRetries", "0"), ("Keys:RefreshInterval", "100ms"));
        var database = kind == "postgres" ? await PostgresServer.CreateDatabaseAsync() : null;
        if (database is not null) settings["Switchboard:Database"] = database;
        var started = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 5;

        var gateway = await GatewayHost.StartAsync(settings);
        string project, keyA, keyB, secretA, secretB;
        await using (gateway)
        {
            (project, secretA, keyA) = await AdminApiTests.ProjectWithKeyAsync(gateway, "Metered");
            var (_, second) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/service_accounts", Master, new { name = "second" });
            secretB = second.GetProperty("api_key").GetProperty("value").GetString()!;
            keyB = second.GetProperty("api_key").GetProperty("id").GetString()!;

            var chatA = gateway.Sdk(secretA);
            var chatB = gateway.Sdk(secretB);
            await chatA.GetChatClient("gpt-4o-mini").CompleteChatAsync("hello");
            await chatA.GetChatClient("gpt-4o-mini").CompleteChatAsync("hello again");
            await foreach (var _ in chatA.GetChatClient("gpt-4o").CompleteChatStreamingAsync("stream please")) { }
            await chatB.GetChatClient("gpt-4o-mini").CompleteChatAsync("hello");
            await Assert.ThrowsAnyAsync<Exception>(() => chatB.GetChatClient("broken").CompleteChatAsync("fail"));
            // Three chunks (role and two pieces), then the client leaves while the upstream stalls.
            var chunks = 0;
            await foreach (var _ in chatB.GetChatClient("slow").CompleteChatStreamingAsync("leave early"))
            {
                if (++chunks == 3) break;
            }
        }
        // Stopping the gateway writes every queued row; a second gateway on the same store reads them back.
        settings["Switchboard:DataDirectory"] = gateway.DataDirectory;
        await using var reader = await GatewayHost.StartAsync(settings, workDirectory: gateway.WorkDirectory);

        var (status, usage) = await AdminApiTests.SendAsync(reader, HttpMethod.Get,
            $"/v1/organization/usage/completions?start_time={started}&group_by=api_key_id&group_by=model", Master);
        Assert.Equal(HttpStatusCode.OK, status);
        if (OpenAiSchema.Validate("UsageResponse", usage) is { } problem) Assert.Fail(problem);
        var results = usage.GetProperty("data").EnumerateArray().SelectMany(b => b.GetProperty("results").EnumerateArray())
            .ToDictionary(r => (r.GetProperty("api_key_id").GetString(), r.GetProperty("model").GetString()));
        void Expect(string key, string model, long input, long output, long requests)
        {
            var r = results[(key, model)];
            Assert.Equal((input, output, requests), (r.GetProperty("input_tokens").GetInt64(), r.GetProperty("output_tokens").GetInt64(), r.GetProperty("num_model_requests").GetInt64()));
        }
        Expect(keyA, "gpt-4o-mini", 2000, 1000, 2);
        Expect(keyA, "gpt-4o", 5, 3, 1);
        Expect(keyB, "gpt-4o-mini", 1000, 500, 1);
        // The abandoned stream: served (499), its usage never came, so its prompt is estimated from its size and its
        // output from the chunks relayed (the role chunk, then two pieces: 2 tokens).
        var abandoned = results[(keyB, "slow")];
        Assert.Equal(1, abandoned.GetProperty("num_model_requests").GetInt64());
        Assert.True(abandoned.GetProperty("input_tokens").GetInt64() > 0);
        Assert.Equal(2, abandoned.GetProperty("output_tokens").GetInt64());
        Assert.False(results.ContainsKey((keyB, "broken")));   // failed: recorded, but no usage
        Assert.Equal(4, results.Count);

        var (_, costs) = await AdminApiTests.SendAsync(reader, HttpMethod.Get, $"/v1/organization/costs?start_time={started}&group_by=api_key_id", Master);
        if (OpenAiSchema.Validate("UsageResponse", costs) is { } costProblem) Assert.Fail(costProblem);
        var amounts = costs.GetProperty("data").EnumerateArray().SelectMany(b => b.GetProperty("results").EnumerateArray())
            .ToDictionary(r => r.GetProperty("api_key_id").GetString()!, r => r.GetProperty("amount").GetProperty("value").GetDecimal());
        // A: 2 × 450 + 43 micro-dollars; B: 450 (the unpriced "slow" model costs nothing).
        Assert.Equal(0.000943m, amounts[keyA]);
        Assert.Equal(0.000450m, amounts[keyB]);

        var (_, byProject) = await AdminApiTests.SendAsync(reader, HttpMethod.Get, $"/v1/organization/costs?start_time={started}&project_ids={project}", Master);
        var total = byProject.GetProperty("data").EnumerateArray().SelectMany(b => b.GetProperty("results").EnumerateArray()).Sum(r => r.GetProperty("amount").GetProperty("value").GetDecimal());
        Assert.Equal(0.001393m, total);
        var (_, other) = await AdminApiTests.SendAsync(reader, HttpMethod.Get, $"/v1/organization/usage/completions?start_time={started}&project_ids=proj_default", Master);
        Assert.All(other.GetProperty("data").EnumerateArray(), b => Assert.Empty(b.GetProperty("results").EnumerateArray()));
    }

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task Raw_rows_past_the_retention_are_deleted_and_usage_by_hour_and_day_still_counts_them(string kind)
    {
        await using var gateway = await AdminApiTests.StartAsync(kind, null, ("Switchboard:Ledger:RetentionDays", "30"));
        var store = gateway.App.Services.GetRequiredService<Switchboard.Storage.Store>();
        var today = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 86_400 * 86_400;
        Switchboard.Storage.LedgerRow Row(string id, long at) => new()
        {
            RequestId = id, At = at, ProjectId = "proj_default", Endpoint = "chat/completions", Model = "m", Status = 200, InputTokens = 10, OutputTokens = 5, CostMicros = 3,
        };
        await store.AppendLedgerAsync([Row("old-1", today - 40 * 86_400 + 5), Row("old-2", today - 40 * 86_400 + 7), Row("recent", today - 86_400 + 1)]);

        // The gateway's own first run (at startup) may get to the rows before this one: what counts is what is left.
        var deleted = await gateway.App.Services.GetRequiredService<LedgerRetention>().RunOnceAsync();

        Assert.InRange(deleted, 0, 2);
        Assert.Equal(0, await gateway.App.Services.GetRequiredService<LedgerRetention>().RunOnceAsync());
        Assert.Equal(["recent"], (await store.LedgerAsync(0, today + 86_400, null)).Select(r => r.RequestId));
        var (_, usage) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get,
            $"/v1/organization/usage/completions?start_time={today - 41 * 86_400}&end_time={today}&bucket_width=1d&limit=31", Master);
        var counted = usage.GetProperty("data").EnumerateArray().SelectMany(b => b.GetProperty("results").EnumerateArray())
            .Sum(r => r.GetProperty("num_model_requests").GetInt64());
        var (_, rest) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get,
            $"/v1/organization/usage/completions?start_time={today - 41 * 86_400}&end_time={today}&bucket_width=1d&limit=31&page={usage.GetProperty("next_page").GetString()}", Master);
        counted += rest.GetProperty("data").EnumerateArray().SelectMany(b => b.GetProperty("results").EnumerateArray()).Sum(r => r.GetProperty("num_model_requests").GetInt64());
        Assert.Equal(3, counted);
        // Hour buckets from a whole hour read the hourly rollup: the deleted rows' hour still has them.
        var (_, hourly) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get,
            $"/v1/organization/usage/completions?start_time={today - 40 * 86_400}&end_time={today - 40 * 86_400 + 7_200}&bucket_width=1h", Master);
        var hours = hourly.GetProperty("data").EnumerateArray().Select(b => b.GetProperty("results").EnumerateArray().Sum(r => r.GetProperty("num_model_requests").GetInt64())).ToList();
        Assert.Equal([2L, 0L], hours);
        // Minute buckets read the raw rows, which are gone.
        var (_, minutes) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get,
            $"/v1/organization/usage/completions?start_time={today - 40 * 86_400}&end_time={today - 40 * 86_400 + 600}&bucket_width=1m", Master);
        Assert.All(minutes.GetProperty("data").EnumerateArray(), b => Assert.Empty(b.GetProperty("results").EnumerateArray()));
    }

    [Fact]
    public async Task Usage_queries_refuse_bad_parameters_and_page_through_buckets()
    {
        await using var gateway = await AdminApiTests.StartAsync("sqlite");
        foreach (var (query, param) in new[]
        {
            ("", "start_time"), ("start_time=abc", "start_time"), ("start_time=100&end_time=50", "end_time"), ("start_time=100&bucket_width=2h", "bucket_width"),
            ("start_time=100&group_by=colour", "group_by"), ("start_time=100&limit=99", "limit"), ("start_time=100&page=7", "page"),
        })
        {
            var (status, error) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get, $"/v1/organization/usage/completions?{query}", Master);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            Assert.Equal(param, error.GetProperty("error").GetProperty("param").GetString());
        }
        var (_, page) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get, "/v1/organization/usage/completions?start_time=0&end_time=864000&limit=7", Master);
        Assert.Equal(7, page.GetProperty("data").GetArrayLength());
        Assert.True(page.GetProperty("has_more").GetBoolean());
        var next = page.GetProperty("next_page").GetString();
        var (_, rest) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get, $"/v1/organization/usage/completions?start_time=0&end_time=864000&limit=7&page={next}", Master);
        Assert.Equal(3, rest.GetProperty("data").GetArrayLength());
        Assert.Equal(7 * 86400, rest.GetProperty("data")[0].GetProperty("start_time").GetInt64());
        Assert.False(rest.GetProperty("has_more").GetBoolean());
        Assert.Equal(JsonValueKind.Null, rest.GetProperty("next_page").ValueKind);
    }
}
