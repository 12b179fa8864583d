using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using Switchboard.Storage;
using Switchboard.Tests.Admin;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Admission.AdmissionTests;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Admission;

/// <summary>A key's own budget (our extension), a key's limits changed after it was made, and the official SDK's retry of a 429.</summary>
public sealed class KeyBudgetTests
{
    private const string Master = "sk-master-for-tests";

    private static async Task<(string Project, string Secret, string KeyId)> KeyAsync(GatewayHost gateway, string project, string name, object? limits)
    {
        var (status, account) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/service_accounts", Master,
            new { name, limits });
        Assert.Equal(HttpStatusCode.OK, status);
        var key = account.GetProperty("api_key");
        return (project, key.GetProperty("value").GetString()!, key.GetProperty("id").GetString()!);
    }

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task A_keys_budget_caps_what_it_spends_under_concurrency_counts_spending_before_a_restart_and_leaves_other_keys_alone(string kind)
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        // 100 tokens at $100 per million: one cent each.
        upstream.On("metered", x => x.Json(200, Completion("hi", prompt: 10, completion: 90)));
        var settings = upstream.GatewaySettings(("MasterKey", Master), ("Prices:metered:Input", "100"), ("Prices:metered:Output", "100"));
        if (kind == "postgres") settings["Switchboard:Database"] = await PostgresServer.CreateDatabaseAsync();
        // Noon of one day on both instances' clocks: a day's budget cannot straddle midnight mid-test.
        static void Noon(IServiceCollection services)
        {
            var time = new ManualTime();
            time.Advance(TimeSpan.FromHours(12));
            services.AddSingleton<TimeProvider>(time);
        }
        var first = await GatewayHost.StartAsync(settings, configureServices: Noon);
        string budgeted, free, budgetedId;
        await using (first)
        {
            (_, budgeted, budgetedId) = await KeyAsync(first, "proj_default", "twenty-cents-a-day", new { budget_usd = 0.2m, budget_interval = "day" });
            (_, free, _) = await KeyAsync(first, "proj_default", "free", null);

            var results = await Task.WhenAll(Enumerable.Range(0, 60).Select(_ => ChatAsync(first, budgeted, "metered", maxTokens: 90)));
            Assert.InRange(results.Count(r => r.Status == HttpStatusCode.OK), 1, 20);
            foreach (var (status, body, headers) in results.Where(r => r.Status != HttpStatusCode.OK))
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, status);
                Assert.Equal(("insufficient_quota", "insufficient_quota"), (body.GetProperty("error").GetProperty("type").GetString(), body.GetProperty("error").GetProperty("code").GetString()));
                Assert.Contains($"API key {budgetedId} has reached its daily budget of $0.20", body.GetProperty("error").GetProperty("message").GetString());
                Assert.Equal("false", Header(headers, "x-should-retry"));
            }
            // Then one at a time until refused: the budget fills to within the last request's reservation.
            for (var i = 0; i < 30 && (await ChatAsync(first, budgeted, "metered", maxTokens: 90)).Status == HttpStatusCode.OK; i++) { }
            // Another key of the same project is not held back by this key's budget.
            Assert.Equal(HttpStatusCode.OK, (await ChatAsync(first, free, "metered", maxTokens: 90)).Status);
        }

        // A new instance on the same data counts what the key spent today before it started: nothing is left.
        settings["Switchboard:DataDirectory"] = first.DataDirectory;
        await using var second = await GatewayHost.StartAsync(settings, workDirectory: first.WorkDirectory, configureServices: Noon);
        var rows = (await second.App.Services.GetRequiredService<Store>().LedgerAsync(0, long.MaxValue / 2, null))
            .Where(r => r.ApiKeyId == budgetedId && r.Status == 200).ToList();
        // Never past the budget; short of it by less than one more request's reservation (about 1.9 cents).
        Assert.InRange(rows.Sum(r => r.CostMicros), 200_000 - 20_000, 200_000);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await ChatAsync(second, budgeted, "metered", maxTokens: 90)).Status);
        // The same budget per month is a new counter: it starts from what the daily rollup says the key spent.
        Assert.Equal(HttpStatusCode.OK, (await AdminApiTests.SendAsync(second, HttpMethod.Post, $"/v1/organization/projects/proj_default/api_keys/{budgetedId}", Master,
            new { limits = new { budget_usd = 0.2m, budget_interval = "month" } })).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await ChatAsync(second, budgeted, "metered", maxTokens: 90)).Status);

        // Raising the budget through the admin API applies to the next request.
        var (changed, key) = await AdminApiTests.SendAsync(second, HttpMethod.Post, $"/v1/organization/projects/proj_default/api_keys/{budgetedId}", Master,
            new { limits = new { budget_usd = 1, budget_interval = "total" } });
        Assert.Equal(HttpStatusCode.OK, changed);
        Assert.Equal(("Secret Key", "total"), (key.GetProperty("name").GetString(), key.GetProperty("limits").GetProperty("budget_interval").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(second, budgeted, "metered", maxTokens: 90)).Status);
    }

    [Fact]
    public async Task Retention_drops_old_windows_counters_but_keeps_a_keys_total_budget_and_credit()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings());
        var store = gateway.App.Services.GetRequiredService<Store>();
        foreach (var scope in new[] { "key-budget-total:key_a", "credit:proj_a", "rpm:proj_a:m", "key-budget-month:key_a" })
            Assert.Equal((5L, 5L), await store.LeaseAsync(scope, 0, 5, 5, 100));

        await store.DeleteCountersBeforeAsync(1_000);

        // A counter kept goes on from 5; a deleted one starts again from nothing.
        Assert.Equal((1L, 6L), await store.LeaseAsync("key-budget-total:key_a", 0, 1, 1, 100));
        Assert.Equal((1L, 6L), await store.LeaseAsync("credit:proj_a", 0, 1, 1, 100));
        Assert.Equal((1L, 1L), await store.LeaseAsync("rpm:proj_a:m", 0, 1, 1, 100));
        Assert.Equal((1L, 1L), await store.LeaseAsync("key-budget-month:key_a", 0, 1, 1, 100));
    }

    [Fact]
    public async Task A_keys_name_and_limits_change_through_the_admin_api_and_bad_limits_are_refused_naming_the_member()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => x.Json(200, Completion("hi")));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", Master)));
        var (project, secret, keyId) = await KeyAsync(gateway, "proj_default", "bot", null);
        var path = $"/v1/organization/projects/{project}/api_keys/{keyId}";

        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(gateway, secret, "gpt-4o-mini")).Status);
        var (status, key) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, path, Master, new { name = "renamed", limits = new { max_requests_per_1_minute = 1 } });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("renamed", key.GetProperty("name").GetString());
        // The new limit applies at once (this instance reloads its keys on the change).
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(gateway, secret, "gpt-4o-mini")).Status);
        Assert.Equal(HttpStatusCode.TooManyRequests, (await ChatAsync(gateway, secret, "gpt-4o-mini")).Status);
        // Removing the limits lifts it; the name, left out, stays.
        (status, key) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, path, Master, new { limits = (object?)null });
        Assert.Equal((HttpStatusCode.OK, "renamed"), (status, key.GetProperty("name").GetString()));
        Assert.Equal(HttpStatusCode.OK, (await ChatAsync(gateway, secret, "gpt-4o-mini")).Status);

        foreach (var (limits, param) in new (object Limits, string Param)[]
        {
            (new { budget_usd = 0 }, "limits.budget_usd"),
            (new { budget_usd = 0.0000001m }, "limits.budget_usd"),
            (new { budget_usd = "5" }, "limits.budget_usd"),
            (new { budget_usd = 5, budget_interval = "week" }, "limits.budget_interval"),
            (new { budget_interval = "day" }, "limits.budget_interval"),
        })
        {
            var (bad, error) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, path, Master, new { limits });
            Assert.Equal((HttpStatusCode.BadRequest, param), (bad, error.GetProperty("error").GetProperty("param").GetString()));
        }
        var (missing, _) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/api_keys/key_nope", Master, new { name = "x" });
        Assert.Equal(HttpStatusCode.NotFound, missing);
        // Only the master or an admin key may change a key.
        Assert.Equal(HttpStatusCode.Forbidden, (await AdminApiTests.SendAsync(gateway, HttpMethod.Post, path, secret, new { name = "mine" })).Status);
    }

    /// <summary>Moves the gateway's clock on by each 429's <c>retry-after</c>, as the wait the SDK makes would in real time.</summary>
    private sealed class ClockOnRetryAfter(ManualTime time) : DelegatingHandler(new HttpClientHandler())
    {
        public List<(HttpStatusCode Status, string? RetryAfter)> Seen { get; } = [];

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var response = await base.SendAsync(request, cancellationToken);
            var retryAfter = response.Headers.RetryAfter?.Delta;
            lock (Seen) Seen.Add((response.StatusCode, retryAfter?.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (response.StatusCode == HttpStatusCode.TooManyRequests && retryAfter is { } wait) time.Advance(wait);
            return response;
        }
    }

    [Fact]
    public async Task The_official_sdk_sees_a_429_with_retry_after_waits_it_and_retries_into_the_next_window()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => x.Json(200, Completion("hi")));
        var time = new ManualTime();
        time.Advance(TimeSpan.FromSeconds(59));   // one second before the minute turns
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", Master)),
            configureServices: services => services.AddSingleton<TimeProvider>(time));
        var (_, secret, _) = await KeyAsync(gateway, "proj_default", "one-a-minute", new { max_requests_per_1_minute = 1 });

        using var handler = new ClockOnRetryAfter(time);
        using var http = new HttpClient(handler);
        var client = new ChatClient("gpt-4o-mini", new ApiKeyCredential(secret), new OpenAIClientOptions
        {
            Endpoint = new Uri(gateway.BaseUrl + "/v1"),
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(maxRetries: 2),
        });

        Assert.Equal("hi", (await client.CompleteChatAsync([new UserChatMessage("hello")])).Value.Content[0].Text);
        // The second call is refused for this minute; the SDK reads retry-after, waits, and its retry is admitted.
        Assert.Equal("hi", (await client.CompleteChatAsync([new UserChatMessage("hello")])).Value.Content[0].Text);
        Assert.Equal([(HttpStatusCode.OK, null), (HttpStatusCode.TooManyRequests, "1"), (HttpStatusCode.OK, null)], handler.Seen);
        Assert.Equal(2, upstream.CallsFor("gpt-4o-mini").Count);
    }
}
