using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Storage;
using Switchboard.Tests.Admin;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Admission;

/// <summary>Rate limits and the spend limit enforced before a request runs, with OpenAI's errors and headers, on one instance and across two.</summary>
public sealed class AdmissionTests
{
    private const string Master = "sk-master-for-tests";

    internal static async Task<(HttpStatusCode Status, JsonElement Body, HttpResponseHeaders Headers)> ChatAsync(GatewayHost gateway, string key, string model,
        int? maxTokens = null, bool stream = false)
    {
        var body = new Dictionary<string, object> { ["model"] = model, ["messages"] = new[] { new { role = "user", content = "hello" } } };
        if (maxTokens is { } max) body["max_tokens"] = max;
        if (stream) body["stream"] = true;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await gateway.Http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, stream || text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone(), response.Headers);
    }

    internal static string Header(HttpResponseHeaders headers, string name) => headers.TryGetValues(name, out var values) ? values.Single() : "";

    /// <summary>
    /// Two gateways on one new PostgreSQL database, a project key, and the project's limits for gpt-4o-mini set before
    /// the second starts. Both clocks stand 10 s into the same minute, so a test cannot straddle two windows.
    /// </summary>
    private static async Task<(GatewayHost First, GatewayHost Second, string Secret)> TwoInstancesAsync(ScriptedUpstream upstream, object rateLimits)
    {
        var settings = upstream.GatewaySettings(("MasterKey", Master));
        settings["Switchboard:Database"] = await PostgresServer.CreateDatabaseAsync();
        static TimeProvider Clock()
        {
            var time = new ManualTime();
            time.Advance(TimeSpan.FromSeconds(10));
            return time;
        }
        var first = await GatewayHost.StartAsync(settings, configureServices: services => services.AddSingleton(Clock()));
        var (project, secret, _) = await AdminApiTests.ProjectWithKeyAsync(first);
        Assert.Equal(HttpStatusCode.OK, (await AdminApiTests.SendAsync(first, HttpMethod.Post,
            $"/v1/organization/projects/{project}/rate_limits/rl-gpt-4o-mini", Master, rateLimits)).Status);
        var second = await GatewayHost.StartAsync(settings, configureServices: services => services.AddSingleton(Clock()));
        return (first, second, secret);
    }

    [Theory]
    [InlineData(20, "20ms")]
    [InlineData(1000, "1s")]
    [InlineData(1500, "1.5s")]
    [InlineData(30_250, "30.25s")]
    [InlineData(360_000, "6m0s")]
    [InlineData(3_600_000, "1h0m0s")]
    public void Reset_times_are_written_as_openai_writes_them(int milliseconds, string expected) =>
        Assert.Equal(expected, Switchboard.Admission.RateLimitDuration.Format(TimeSpan.FromMilliseconds(milliseconds)));

    [Fact]
    public async Task Requests_per_minute_count_down_in_openais_headers_then_429_with_when_to_retry()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => x.Json(200, Completion("hi")));
        upstream.On("gpt-4o-mini-other", x => x.Json(200, Completion("hi")));
        var time = new ManualTime();
        time.Advance(TimeSpan.FromSeconds(30));   // half a minute into the window
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", Master)),
            configureServices: services => services.AddSingleton<TimeProvider>(time));
        var (project, secret, _) = await AdminApiTests.ProjectWithKeyAsync(gateway);
        Assert.Equal(HttpStatusCode.OK, (await AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/rate_limits/rl-gpt-4o-mini",
            Master, new { max_requests_per_1_minute = 3, max_tokens_per_1_minute = 100_000 })).Status);

        var remaining = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var (status, _, headers) = await ChatAsync(gateway, secret, "gpt-4o-mini", maxTokens: 50);
            Assert.Equal(HttpStatusCode.OK, status);
            Assert.Equal("3", Header(headers, "x-ratelimit-limit-requests"));
            Assert.Equal("30s", Header(headers, "x-ratelimit-reset-requests"));
            Assert.Equal("100000", Header(headers, "x-ratelimit-limit-tokens"));
            remaining.Add(Header(headers, "x-ratelimit-remaining-requests"));
        }
        Assert.Equal(["2", "1", "0"], remaining);

        var (refused, error, refusedHeaders) = await ChatAsync(gateway, secret, "gpt-4o-mini", maxTokens: 50);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused);
        Assert.Equal(("requests", "rate_limit_exceeded"), (error.GetProperty("error").GetProperty("type").GetString(), error.GetProperty("error").GetProperty("code").GetString()));
        Assert.Contains("Limit 3, Used 3, Requested 1", error.GetProperty("error").GetProperty("message").GetString());
        Assert.Equal(("30", "30000"), (Header(refusedHeaders, "retry-after"), Header(refusedHeaders, "retry-after-ms")));
        Assert.Equal(3, upstream.CallsFor("gpt-4o-mini").Count);   // refused before the provider

        // Another model of the same project has no limit; the next minute starts afresh.
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(gateway, secret, "gpt-4o-mini-other")).Status);
        time.Advance(TimeSpan.FromSeconds(30));
        var (again, _, againHeaders) = await ChatAsync(gateway, secret, "gpt-4o-mini", maxTokens: 50);
        Assert.Equal((HttpStatusCode.OK, "2"), (again, Header(againHeaders, "x-ratelimit-remaining-requests")));
    }

    [Fact]
    public async Task A_request_larger_than_the_token_limit_is_refused_as_tokens()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => x.Json(200, Completion("hi")));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", Master)));
        var (project, secret, _) = await AdminApiTests.ProjectWithKeyAsync(gateway);
        await AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/rate_limits/rl-gpt-4o-mini", Master, new { max_tokens_per_1_minute = 1000 });

        var (status, error, headers) = await ChatAsync(gateway, secret, "gpt-4o-mini", maxTokens: 5000);
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal("tokens", error.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("1000", Header(headers, "x-ratelimit-limit-tokens"));
        // A small request fits; its reservation (prompt bytes / 4 + max_tokens) is settled to the real 10 tokens.
        var (ok, _, okHeaders) = await ChatAsync(gateway, secret, "gpt-4o-mini", maxTokens: 100);
        Assert.Equal(HttpStatusCode.OK, ok);
        Assert.InRange(long.Parse(Header(okHeaders, "x-ratelimit-remaining-tokens"), System.Globalization.CultureInfo.InvariantCulture), 800, 900);
    }

    [Theory]
    [InlineData("sqlite", "spend")]
    [InlineData("sqlite", "credit")]
    [PostgresData("spend")]
    [PostgresData("credit")]
    public async Task Concurrent_requests_never_spend_past_the_limit_or_the_credit_and_the_refused_are_told_not_to_retry(string kind, string money)
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        // 100 tokens at $100 per million: one cent each.
        upstream.On("metered", x => x.Json(200, Completion("hi", prompt: 10, completion: 90)));
        var settings = upstream.GatewaySettings(("MasterKey", Master), ("Prices:metered:Input", "100"), ("Prices:metered:Output", "100"));
        if (kind == "postgres") settings["Switchboard:Database"] = await PostgresServer.CreateDatabaseAsync();
        var first = await GatewayHost.StartAsync(settings);
        string project, secret;
        var admitted = 0;
        await using (first)
        {
            (project, secret, _) = await AdminApiTests.ProjectWithKeyAsync(first);
            // 50 cents, as a monthly spend limit or as credit: fifty requests' real cost; each reserves about twice that
            // (body bytes and max_tokens at the price).
            var (status, _) = money == "spend"
                ? await AdminApiTests.SendAsync(first, HttpMethod.Post, $"/v1/organization/projects/{project}/spend_limit", Master,
                    new { threshold_amount = 50, currency = "USD", interval = "month" })
                : await AdminApiTests.SendAsync(first, HttpMethod.Post, $"/v1/organization/projects/{project}/credit_grants", Master,
                    new { amount = 0.5m, effective_at = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60 });
            Assert.Equal(HttpStatusCode.OK, status);
            // On PostgreSQL a second instance shares the limit; on SQLite the same instance takes both halves.
            await using var second = kind == "postgres" ? await GatewayHost.StartAsync(settings) : null;
            var gateways = second is null ? [first, first] : new[] { first, second };

            var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i => ChatAsync(gateways[i % 2], secret, "metered", maxTokens: 90)));
            foreach (var (refused, body, headers) in results.Where(r => r.Status != HttpStatusCode.OK))
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, refused);
                Assert.Equal("insufficient_quota", body.GetProperty("error").GetProperty("code").GetString());
                Assert.Equal("false", Header(headers, "x-should-retry"));
            }
            admitted = results.Count(r => r.Status == HttpStatusCode.OK);
            Assert.InRange(admitted, 1, 50);
            // Then one at a time until refused: the limit fills to within the last request's reservation.
            for (var i = 0; i < 100 && (await ChatAsync(gateways[i % 2], secret, "metered", maxTokens: 90)).Status == HttpStatusCode.OK; i++) admitted++;
        }
        settings["Switchboard:DataDirectory"] = first.DataDirectory;
        await using var reader = await GatewayHost.StartAsync(settings, workDirectory: first.WorkDirectory);
        var rows = (await reader.App.Services.GetRequiredService<Store>().LedgerAsync(0, long.MaxValue / 2, [project])).Where(r => r.Status == 200).ToList();
        Assert.Equal(admitted, rows.Count);
        var spent = rows.Sum(r => r.CostMicros);
        Assert.True(spent <= 500_000, $"spent {spent} micro-dollars past the 500,000 limit");
        // The stated bound: short by at most the other instance's two unused slices (2 × 31,250) and the reservations
        // (about 19,000 each: (body bytes + 90) × 100 micro-dollars per token) of the refused request and one in flight.
        Assert.True(spent >= 500_000 - 2 * 31_250 - 2 * 25_000, $"spent only {spent} micro-dollars of 500,000 before refusing");
    }

    [Fact]
    public async Task A_stream_the_client_aborts_settles_its_real_cost_and_frees_its_reservation()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("metered", async x =>
        {
            await x.StartSse();
            await x.Event(RoleChunk());
            await x.Event(ContentChunk("one"));
            await x.Event(ContentChunk("two"));
            await x.Stall();
        });
        upstream.On("whole", x => x.Json(200, Completion("hi", prompt: 5, completion: 5)));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", Master),
            ("Prices:metered:Input", "100"), ("Prices:metered:Output", "100"), ("Prices:whole:Input", "100"), ("Prices:whole:Output", "100")));
        var (project, secret, _) = await AdminApiTests.ProjectWithKeyAsync(gateway);
        // Two cents: room for the stream's reservation (about 12,000 micro-dollars: (body bytes + 10 output) × 100) and
        // not for another of about 9,000 beside it, but for that one beside the stream's real cost.
        await AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/spend_limit", Master,
            new { threshold_amount = 2, currency = "USD", interval = "month" });

        var sdk = gateway.Sdk(secret);
        var chunks = 0;
        var options = new OpenAI.Chat.ChatCompletionOptions { MaxOutputTokenCount = 10 };
        await foreach (var _ in sdk.GetChatClient("metered").CompleteChatStreamingAsync([new OpenAI.Chat.UserChatMessage("hi")], options))
        {
            if (++chunks == 3) break;
        }
        // The aborted stream is settled at its estimate (a few hundred micro-dollars), so a second reservation fits
        // (settlement runs as the handler ends: the client may be a moment ahead of it).
        var started = System.Diagnostics.Stopwatch.StartNew();
        HttpStatusCode status;
        while ((status = (await ChatAsync(gateway, secret, "whole", maxTokens: 10)).Status) != HttpStatusCode.OK)
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"still {status}: the aborted stream's reservation was never released");
    }

    [PostgresFact]
    public async Task Two_instances_on_one_database_admit_one_limit_not_two()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => x.Json(200, Completion("hi")));
        var (first, second, secret) = await TwoInstancesAsync(upstream, new { max_requests_per_1_minute = 60 });
        await using var _ = first;
        await using var __ = second;

        var statuses = await Task.WhenAll(Enumerable.Range(0, 150).Select(i => ChatAsync(i % 2 == 0 ? first : second, secret, "gpt-4o-mini")));
        var admitted = statuses.Count(r => r.Status == HttpStatusCode.OK);
        Assert.All(statuses.Where(r => r.Status != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.TooManyRequests, r.Status));
        // Never more than the limit; less by at most the other instance's unused slices (two sixteenths of the limit, rounded up).
        Assert.InRange(admitted, 60 - 8, 60);
        Assert.Equal(admitted, upstream.CallsFor("gpt-4o-mini").Count);
    }

    [Fact]
    public async Task A_keys_concurrency_limit_queues_one_request_until_a_slot_frees_and_refuses_past_the_queue_or_its_timeout()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var arrived = new SemaphoreSlim(0);
        var release = new TaskCompletionSource();
        upstream.On("held", async x =>
        {
            arrived.Release();
            await release.Task.WaitAsync(x.Aborted);
            await x.Json(200, Completion("done"));
        });
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", Master),
            ("Admission:QueueLength", "1"), ("Admission:QueueTimeout", "2s")));
        var (created, account) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, "/v1/organization/projects/proj_default/service_accounts", Master,
            new { name = "one-at-a-time", limits = new { max_concurrent_requests = 1 } });
        Assert.Equal(HttpStatusCode.OK, created);
        var secret = account.GetProperty("api_key").GetProperty("value").GetString()!;

        var first = ChatAsync(gateway, secret, "held");
        await arrived.WaitAsync();   // the first holds the key's only slot
        var second = ChatAsync(gateway, secret, "held");
        var third = ChatAsync(gateway, secret, "held");
        // One of them waits in the queue of one; the other finds it full and is refused at once.
        var refused = await Task.WhenAny(second, third);
        var (status, error, _) = await refused;
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Equal("rate_limit_exceeded", error.GetProperty("error").GetProperty("code").GetString());
        // The one waiting is in the admission queue's gauge.
        using (var scrape = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new("Bearer", Master) } })
        using (var metrics = await gateway.Http.SendAsync(scrape))
            Assert.Contains("\nswitchboard_admission_queue_depth{otel_scope_name=\"Switchboard\"} 1\n", await metrics.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        release.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await first).Status);
        Assert.Equal(HttpStatusCode.OK, (await (refused == second ? third : second)).Status);   // ran once the slot was free
        Assert.Equal(2, upstream.CallsFor("held").Count);

        // Queued past the timeout (2 s here) while the slot stays taken: refused.
        var blocker = new TaskCompletionSource();
        var holds = new SemaphoreSlim(0);
        upstream.On("held", async x =>
        {
            holds.Release();
            await blocker.Task.WaitAsync(x.Aborted);
            await x.Json(200, Completion("done"));
        });
        var holding = ChatAsync(gateway, secret, "held");
        await holds.WaitAsync();
        Assert.Equal(HttpStatusCode.TooManyRequests, (await ChatAsync(gateway, secret, "held")).Status);
        blocker.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await holding).Status);

        // The key's limits are shown with it.
        var keyId = account.GetProperty("api_key").GetProperty("id").GetString()!;
        var (_, key) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get, $"/v1/organization/projects/proj_default/api_keys/{keyId}", Master);
        Assert.Equal(1, key.GetProperty("limits").GetProperty("max_concurrent_requests").GetInt32());
    }

    [Fact]
    public async Task A_keys_own_requests_per_minute_apply_beside_the_projects()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => x.Json(200, Completion("hi")));
        var time = new ManualTime();
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", Master)),
            configureServices: services => services.AddSingleton<TimeProvider>(time));
        var (_, account) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, "/v1/organization/projects/proj_default/service_accounts", Master,
            new { name = "two-a-minute", limits = new { max_requests_per_1_minute = 2 } });
        var secret = account.GetProperty("api_key").GetProperty("value").GetString()!;
        var (_, other) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, "/v1/organization/projects/proj_default/service_accounts", Master, new { name = "free" });
        var otherSecret = other.GetProperty("api_key").GetProperty("value").GetString()!;

        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(gateway, secret, "gpt-4o-mini")).Status);
        var (_, _, headers) = await ChatAsync(gateway, secret, "gpt-4o-mini");
        Assert.Equal(("2", "0"), (Header(headers, "x-ratelimit-limit-requests"), Header(headers, "x-ratelimit-remaining-requests")));
        Assert.Equal(HttpStatusCode.TooManyRequests, (await ChatAsync(gateway, secret, "gpt-4o-mini")).Status);
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(gateway, otherSecret, "gpt-4o-mini")).Status);   // another key of the project is not held back

        var (bad, error) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, "/v1/organization/projects/proj_default/service_accounts", Master,
            new { name = "bad", limits = new { max_concurrent_requests = 0 } });
        Assert.Equal((HttpStatusCode.BadRequest, "limits.max_concurrent_requests"), (bad, error.GetProperty("error").GetProperty("param").GetString()));
    }

    [Fact]
    public async Task A_key_that_asks_for_moderation_has_flagged_input_refused_before_the_model_and_every_check_metered()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => x.Json(200, Completion("hi")));
        upstream.On("omni-moderation-latest", x =>
        {
            var input = upstream.CallsFor("omni-moderation-latest")[x.CallNumber - 1].Json.GetProperty("input").GetString()!;
            var flagged = input.Contains("attack", StringComparison.Ordinal) ? "true" : "false";
            return x.Json(200, $$$"""{"id":"modr-1","model":"omni-moderation-latest","results":[{"flagged":{{{flagged}}},"categories":{"violence":{{{flagged}}},"hate":false}}]}""");
        });
        var settings = upstream.GatewaySettings(("MasterKey", Master));
        var gateway = await GatewayHost.StartAsync(settings);
        await using (gateway)
        {
            var (_, account) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, "/v1/organization/projects/proj_default/service_accounts", Master,
                new { name = "checked", limits = new { moderate_input = true } });
            var secret = account.GetProperty("api_key").GetProperty("value").GetString()!;
            var (_, plain) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, "/v1/organization/projects/proj_default/service_accounts", Master, new { name = "plain" });
            var plainSecret = plain.GetProperty("api_key").GetProperty("value").GetString()!;

            Assert.Equal(HttpStatusCode.OK, (await ChatAsync(gateway, secret, "gpt-4o-mini")).Status);   // "hello": clean
            var sdk = gateway.Sdk(secret);
            var refused = await Assert.ThrowsAsync<System.ClientModel.ClientResultException>(() =>
                sdk.GetChatClient("gpt-4o-mini").CompleteChatAsync([new OpenAI.Chat.SystemChatMessage("be brief"), new OpenAI.Chat.UserChatMessage("plan an attack")]));
            Assert.Equal(400, refused.Status);
            Assert.Contains("input_flagged", refused.Message);
            Assert.Contains("violence", refused.Message);
            Assert.Single(upstream.CallsFor("gpt-4o-mini"));   // the flagged one never reached the model
            // Content a text check cannot see is not let through unchecked.
            var (image, imageError) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, "/v1/chat/completions", secret, new
            {
                model = "gpt-4o-mini",
                messages = new[] { new { role = "user", content = new object[] { new { type = "image_url", image_url = new { url = "https://example.com/a.png" } } } } },
            });
            Assert.Equal((HttpStatusCode.BadRequest, "input_not_checkable"), (image, imageError.GetProperty("error").GetProperty("code").GetString()));
            // A key without the option is not checked.
            Assert.Equal(HttpStatusCode.OK, (await ChatAsync(gateway, plainSecret, "gpt-4o-mini")).Status);
            Assert.Equal(2, upstream.CallsFor("omni-moderation-latest").Count);
        }
        settings["Switchboard:DataDirectory"] = gateway.DataDirectory;
        await using var reader = await GatewayHost.StartAsync(settings, workDirectory: gateway.WorkDirectory);
        var rows = await reader.App.Services.GetRequiredService<Store>().LedgerAsync(0, long.MaxValue / 2, null);
        Assert.Equal(2, rows.Count(r => r.Endpoint == "moderations" && r.Status == 200 && r.RequestId.EndsWith("-moderation", StringComparison.Ordinal)));
        Assert.Equal(2, rows.Count(r => r.Endpoint == "chat/completions" && r.Status == 400));
    }

    [PostgresFact]
    public async Task Two_instances_share_one_tokens_per_minute_limit_reserved_from_max_tokens()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => x.Json(200, Completion("hi", prompt: 10, completion: 80)));
        var (first, second, secret) = await TwoInstancesAsync(upstream, new { max_tokens_per_1_minute = 1000 });
        await using var _ = first;
        await using var __ = second;

        // Each reserves about 100 tokens (its body at 4 bytes a token, plus max_tokens 80) and uses 90.
        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => ChatAsync(i % 2 == 0 ? first : second, secret, "gpt-4o-mini", maxTokens: 80)));
        var admitted = results.Count(r => r.Status == HttpStatusCode.OK);
        Assert.All(results.Where(r => r.Status != HttpStatusCode.OK), r => Assert.Equal("tokens", r.Body.GetProperty("error").GetProperty("type").GetString()));
        // Never past the limit in real tokens; short of it by at most each instance's unused slice (63 tokens) and a reservation.
        Assert.True(admitted * 90 <= 1000, $"{admitted} requests used {admitted * 90} tokens of 1,000");
        Assert.InRange(admitted, 8, 11);
    }
}
