using System.Net;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Switchboard.Tests.Admin;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Billing;

/// <summary>Limits and credit stored through the admin API, and the balance a key holder's front-end reads.</summary>
public sealed class BillingTests
{
    private const string Master = "sk-master-for-tests";

    private static void AssertShape(string component, JsonElement body)
    {
        if (OpenAiSchema.Validate(component, body) is { } problem) Assert.Fail($"{component}: {problem}\n{body}");
    }

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task Rate_limits_and_the_spend_limit_are_stored_for_any_model_name(string kind)
    {
        await using var gateway = await AdminApiTests.StartAsync(kind);
        var (project, _, _) = await AdminApiTests.ProjectWithKeyAsync(gateway);
        var (status, limit) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/rate_limits/rl-gpt-4o-mini", Master,
            new { max_requests_per_1_minute = 100, max_tokens_per_1_minute = 5000 });
        Assert.Equal(HttpStatusCode.OK, status);
        AssertShape("ProjectRateLimit", limit);
        // A model only a wildcard provider serves, and a second change that keeps the other field.
        await AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/rate_limits/rl-vendor/model-x", Master, new { max_requests_per_1_day = 10 });
        await AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/rate_limits/rl-gpt-4o-mini", Master, new { max_tokens_per_1_minute = 9000 });
        var (_, list) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get, $"/v1/organization/projects/{project}/rate_limits", Master);
        AssertShape("ProjectRateLimitListResponse", list);
        var limits = list.GetProperty("data").EnumerateArray().ToDictionary(l => l.GetProperty("id").GetString()!);
        Assert.Equal(100, limits["rl-gpt-4o-mini"].GetProperty("max_requests_per_1_minute").GetInt64());
        Assert.Equal(9000, limits["rl-gpt-4o-mini"].GetProperty("max_tokens_per_1_minute").GetInt64());
        Assert.Equal(10, limits["rl-vendor/model-x"].GetProperty("max_requests_per_1_day").GetInt64());
        var (bad, error) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/rate_limits/rl-x", Master, new { max_tokens_per_1_minute = -1 });
        Assert.Equal(HttpStatusCode.BadRequest, bad);
        Assert.Equal("max_tokens_per_1_minute", error.GetProperty("error").GetProperty("param").GetString());

        Assert.Equal(HttpStatusCode.NotFound, (await AdminApiTests.SendAsync(gateway, HttpMethod.Get, $"/v1/organization/projects/{project}/spend_limit", Master)).Status);
        var (set, spend) = await AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/spend_limit", Master,
            new { threshold_amount = 500, currency = "USD", interval = "month" });
        Assert.Equal(HttpStatusCode.OK, set);
        AssertShape("ProjectSpendLimitResource", spend);
        Assert.Equal("inactive", spend.GetProperty("enforcement").GetProperty("status").GetString());
        Assert.Equal(500, (await AdminApiTests.SendAsync(gateway, HttpMethod.Get, $"/v1/organization/projects/{project}/spend_limit", Master)).Body.GetProperty("threshold_amount").GetInt64());
        var (_, deleted) = await AdminApiTests.SendAsync(gateway, HttpMethod.Delete, $"/v1/organization/projects/{project}/spend_limit", Master);
        AssertShape("ProjectSpendLimitDeletedResource", deleted);
        Assert.Equal(HttpStatusCode.BadRequest, (await AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/spend_limit", Master,
            new { threshold_amount = 500, currency = "EUR", interval = "month" })).Status);
    }

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task Spending_uses_the_grant_in_effect_that_expires_first_and_front_ends_read_the_balance(string kind)
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("gpt-4o-mini", x => x.Json(200, Completion("hi", prompt: 1000, completion: 500)));   // 450 micro-dollars each
        var settings = upstream.GatewaySettings(("MasterKey", Master), ("Keys:RefreshInterval", "100ms"));
        if (kind == "postgres") settings["Switchboard:Database"] = await PostgresServer.CreateDatabaseAsync();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        var gateway = await GatewayHost.StartAsync(settings);
        string project, secret, keyId;
        await using (gateway)
        {
            (project, secret, keyId) = await AdminApiTests.ProjectWithKeyAsync(gateway, "Funded");
            var grants = $"/v1/organization/projects/{project}/credit_grants";
            Assert.Equal(HttpStatusCode.OK, (await AdminApiTests.SendAsync(gateway, HttpMethod.Post, grants, Master, new { amount = 0.001m, effective_at = now - 100 })).Status);
            Assert.Equal(HttpStatusCode.OK, (await AdminApiTests.SendAsync(gateway, HttpMethod.Post, grants, Master, new { amount = 1m, effective_at = now - 50, expires_at = now + 86_400 })).Status);
            Assert.Equal(HttpStatusCode.OK, (await AdminApiTests.SendAsync(gateway, HttpMethod.Post, grants, Master, new { amount = 2m, effective_at = now - 200, expires_at = now - 150 })).Status);
            Assert.Equal(HttpStatusCode.BadRequest, (await AdminApiTests.SendAsync(gateway, HttpMethod.Post, grants, Master, new { amount = -1 })).Status);
            await AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/spend_limit", Master, new { threshold_amount = 500, currency = "USD", interval = "month" });
            var chat = gateway.Sdk(secret).GetChatClient("gpt-4o-mini");
            for (var i = 0; i < 3; i++) await chat.CompleteChatAsync("hello");
        }
        await using var reader = await GatewayHost.StartAsync(settings, workDirectory: gateway.WorkDirectory);
        // Last use is kept in memory per request and written in batches (and at shutdown), never a write per request.
        var (_, key) = await AdminApiTests.SendAsync(reader, HttpMethod.Get, $"/v1/organization/projects/{project}/api_keys/{keyId}", Master);
        Assert.InRange(key.GetProperty("last_used_at").GetInt64(), now - 5, now + 60);

        // 1,350 micro-dollars spent now: not from the $2 grant (expired before), but from the grant in effect that
        // expires first ($1), leaving the never-expiring $0.001 whole.
        var (_, state) = await AdminApiTests.SendAsync(reader, HttpMethod.Get, $"/v1/organization/projects/{project}/credit_grants", Master);
        var byAmount = state.GetProperty("data").EnumerateArray().ToDictionary(g => g.GetProperty("amount").GetDecimal());
        Assert.Equal(("expired", 0m), (byAmount[2m].GetProperty("status").GetString(), byAmount[2m].GetProperty("used_amount").GetDecimal()));
        Assert.Equal(("available", 0.00135m), (byAmount[1m].GetProperty("status").GetString(), byAmount[1m].GetProperty("used_amount").GetDecimal()));
        Assert.Equal(("available", 0m), (byAmount[0.001m].GetProperty("status").GetString(), byAmount[0.001m].GetProperty("used_amount").GetDecimal()));
        Assert.Equal(0.99965m, state.GetProperty("balance").GetDecimal());

        foreach (var prefix in new[] { "/v1", "" })
        {
            var (creditStatus, credit) = await AdminApiTests.SendAsync(reader, HttpMethod.Get, $"{prefix}/dashboard/billing/credit_grants", secret);
            Assert.Equal(HttpStatusCode.OK, creditStatus);
            Assert.Equal("credit_summary", credit.GetProperty("object").GetString());
            Assert.Equal(3.001m, credit.GetProperty("total_granted").GetDecimal());
            Assert.Equal(0.00135m, credit.GetProperty("total_used").GetDecimal());
            Assert.Equal(0.99965m, credit.GetProperty("total_available").GetDecimal());

            var (_, subscription) = await AdminApiTests.SendAsync(reader, HttpMethod.Get, $"{prefix}/dashboard/billing/subscription", secret);
            Assert.Equal(5m, subscription.GetProperty("hard_limit_usd").GetDecimal());
            Assert.Equal("Funded", subscription.GetProperty("account_name").GetString());

            var today = DateTimeOffset.UtcNow.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            var tomorrow = DateTimeOffset.UtcNow.AddDays(1).ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture);
            var (_, usage) = await AdminApiTests.SendAsync(reader, HttpMethod.Get, $"{prefix}/dashboard/billing/usage?start_date={today}&end_date={tomorrow}", secret);
            Assert.Equal(0.135m, usage.GetProperty("total_usage").GetDecimal());   // cents
            var item = Assert.Single(Assert.Single(usage.GetProperty("daily_costs").EnumerateArray()).GetProperty("line_items").EnumerateArray());
            Assert.Equal("gpt-4o-mini", item.GetProperty("name").GetString());
        }
        // Another project's key sees its own (empty) balance; no key is refused once keys exist.
        var (_, otherSecret, _) = await AdminApiTests.ProjectWithKeyAsync(reader, "Other");
        Assert.Equal(0m, (await AdminApiTests.SendAsync(reader, HttpMethod.Get, "/dashboard/billing/credit_grants", otherSecret)).Body.GetProperty("total_granted").GetDecimal());
        Assert.Equal(HttpStatusCode.Unauthorized, (await AdminApiTests.SendAsync(reader, HttpMethod.Get, "/dashboard/billing/credit_grants", null)).Status);
    }

    [Theory]
    [InlineData("sqlite")]
    [PostgresData]
    public async Task Credit_used_before_the_raw_rows_retention_stays_used_after_they_are_deleted(string kind)
    {
        await using var gateway = await AdminApiTests.StartAsync(kind, null, ("Switchboard:Ledger:RetentionDays", "30"));
        var services = gateway.App.Services;
        var store = services.GetRequiredService<Switchboard.Storage.Store>();
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var grants = $"/v1/organization/projects/proj_default/credit_grants";
        // A 90-day grant from 60 days ago; $0.40 spent 45 days ago, $0.25 yesterday.
        Assert.Equal(HttpStatusCode.OK, (await AdminApiTests.SendAsync(gateway, HttpMethod.Post, grants, Master,
            new { amount = 1m, effective_at = now - 60 * 86_400, expires_at = now + 30 * 86_400 })).Status);
        Switchboard.Storage.LedgerRow Spent(string id, long at, long micros) => new()
        {
            RequestId = id, At = at, ProjectId = "proj_default", Endpoint = "chat/completions", Model = "m", Status = 200, InputTokens = 1, CostMicros = micros,
        };
        await store.AppendLedgerAsync([Spent("old", now - 45 * 86_400, 400_000), Spent("recent", now - 86_400, 250_000)]);
        async Task<decimal> UsedAsync()
        {
            var (_, state) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get, grants, Master);
            return state.GetProperty("data")[0].GetProperty("used_amount").GetDecimal();
        }
        Assert.Equal(0.65m, await UsedAsync());

        Assert.Equal(1, await services.GetRequiredService<Switchboard.Ledger.LedgerRetention>().RunOnceAsync());

        Assert.Equal(0.65m, await UsedAsync());   // the old spending now comes from the hourly rollup
        var (_, credit) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get, "/dashboard/billing/credit_grants", Master);
        Assert.Equal(0.35m, credit.GetProperty("total_available").GetDecimal());
    }
}
