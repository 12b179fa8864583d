using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Microsoft.Playwright;
using Switchboard.Tests.Admin;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.WebConsole;

/// <summary>The console's API keys and Usage pages, signed in with the master key, in a real browser.</summary>
public sealed class KeysAndUsageTests
{
    private const string Master = "sk-master-for-tests";

    private static async Task<HttpStatusCode> ChatAsync(GatewayHost gateway, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"metered","messages":[{"role":"user","content":"hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await gateway.Http.SendAsync(request);
        return response.StatusCode;
    }

    private static async Task SignInAsync(IPage page, string key)
    {
        await page.Locator("#sign-in-dialog[open]").WaitForAsync();
        await page.Locator("#sign-in-key").FillAsync(key);
        await page.Locator("#sign-in-submit").ClickAsync();
        await Assertions.Expect(page.Locator("#sign-in-dialog")).Not.ToBeVisibleAsync();
    }

    [BrowserFact]
    public async Task A_key_created_in_the_console_works_until_revoked_and_usage_matches_the_costs_api()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.ListedModels.Add("metered");
        upstream.On("metered", x => x.Json(200, Completion("hi", prompt: 10, completion: 90)));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", Master),
            ("Prices:metered:Input", "100"), ("Prices:metered:Output", "100"), ("Ledger:FlushInterval", "50ms")));
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.PageAsync();
        await page.GotoAsync(gateway.BaseUrl + "/#/keys");

        // With keys required, the console asks for one; a wrong key is refused in place.
        await page.Locator("#sign-in-dialog[open]").WaitForAsync();
        await page.Locator("#sign-in-key").FillAsync("sk-wrong");
        await page.Locator("#sign-in-submit").ClickAsync();
        await Assertions.Expect(page.Locator("#sign-in-error")).ToHaveTextAsync("That key was refused.");
        await page.Locator("#sign-in-key").FillAsync(Master);
        await page.Locator("#sign-in-submit").ClickAsync();
        await Assertions.Expect(page.Locator("#who")).ToHaveTextAsync("admin");

        await page.Locator("#key-name").FillAsync("web-key");
        await page.Locator("#create-key button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#new-secret")).ToBeVisibleAsync();
        var secret = await page.Locator("#secret-value").TextContentAsync();
        Assert.StartsWith("sk-", secret, StringComparison.Ordinal);
        var row = page.Locator("#keys-table tbody tr", new() { HasText = "web-key" });
        await Assertions.Expect(row).ToContainTextAsync(secret![^4..]);
        Assert.DoesNotContain(secret, await row.TextContentAsync(), StringComparison.Ordinal);
        await page.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("keys-en-desktop"), FullPage = true });

        var webKeyId = await row.GetAttributeAsync("data-key-id");
        for (var i = 0; i < 3; i++) Assert.Equal(HttpStatusCode.OK, await ChatAsync(gateway, secret));
        var (_, otherSecret, _) = await AdminApiTests.ProjectWithKeyAsync(gateway, "Other team");
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(gateway, otherSecret));

        // Usage: once the ledger has the three requests, the page's total is the Costs API's total.
        var start = DateTimeOffset.UtcNow.ToUnixTimeSeconds() / 86_400 * 86_400 - 6 * 86_400;
        decimal apiTotal;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var (_, costs) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get, $"/v1/organization/costs?start_time={start}&bucket_width=1d&limit=7", Master);
            apiTotal = costs.GetProperty("data").EnumerateArray().SelectMany(b => b.GetProperty("results").EnumerateArray()).Sum(r => r.GetProperty("amount").GetProperty("value").GetDecimal());
            if (apiTotal >= 0.04m || waited.Elapsed > TimeSpan.FromSeconds(30)) break;
            await Task.Delay(50);
        }
        Assert.Equal(0.04m, apiTotal);
        await page.Locator("nav a[data-page=usage]").ClickAsync();
        await Assertions.Expect(page.Locator("#total-spend")).ToHaveTextAsync("$0.04");
        Assert.Equal(apiTotal, decimal.Parse((await page.Locator("#total-spend").GetAttributeAsync("data-value"))!, CultureInfo.InvariantCulture));
        // Filtered to the key made here: its three requests, as the Costs API counts them for that key.
        await page.Locator("#usage-key").SelectOptionAsync(webKeyId!);
        await Assertions.Expect(page.Locator("#total-spend")).ToHaveTextAsync("$0.03");
        var (_, keyCosts) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get, $"/v1/organization/costs?start_time={start}&bucket_width=1d&limit=7&api_key_ids={webKeyId}", Master);
        apiTotal = keyCosts.GetProperty("data").EnumerateArray().SelectMany(b => b.GetProperty("results").EnumerateArray()).Sum(r => r.GetProperty("amount").GetProperty("value").GetDecimal());
        Assert.Equal(apiTotal, decimal.Parse((await page.Locator("#total-spend").GetAttributeAsync("data-value"))!, CultureInfo.InvariantCulture));
        await Assertions.Expect(page.Locator("#usage-table tbody")).ToContainTextAsync("metered");
        await Assertions.Expect(page.Locator("#cost-chart .legend")).ToContainTextAsync("metered");
        await page.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("usage-en-desktop"), FullPage = true });
        await page.Locator("#language").SelectOptionAsync("zh");
        await Assertions.Expect(page.Locator("#usage-title")).ToHaveTextAsync("用量");
        await page.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("usage-zh-desktop"), FullPage = true });
        await page.Locator("#language").SelectOptionAsync("en");

        // Revoke, confirmed: the key is refused from then on.
        await page.Locator("nav a[data-page=keys]").ClickAsync();
        page.Dialog += (_, dialog) => _ = dialog.AcceptAsync();
        await page.Locator("#keys-table tbody tr", new() { HasText = "web-key" }).Locator("button.danger").ClickAsync();
        await Assertions.Expect(page.Locator("#keys-table tbody tr", new() { HasText = "web-key" })).ToHaveCountAsync(0);
        Assert.Equal(HttpStatusCode.Unauthorized, await ChatAsync(gateway, secret));
    }

    [BrowserFact]
    public async Task Limits_set_in_the_console_are_the_ones_the_gateway_enforces()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("metered", x => x.Json(200, Completion("hi")));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", Master)));
        var (project, secret, keyId) = await AdminApiTests.ProjectWithKeyAsync(gateway, "Limits team");
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.PageAsync();
        await page.GotoAsync(gateway.BaseUrl + "/#/keys");
        await SignInAsync(page, Master);
        await page.Locator("#keys-project").SelectOptionAsync(project);
        await Assertions.Expect(page.Locator("#keys-table tbody tr")).ToHaveCountAsync(1);
        // The project's limits have loaded (typing before that would be overwritten by them).
        await Assertions.Expect(page.Locator("#spend-state")).ToHaveTextAsync("No spend limit.");

        await page.Locator("#spend-amount").FillAsync("12.34");
        await page.Locator("#spend-form button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#spend-state")).ToContainTextAsync("Not reached");
        Assert.Equal(1234, (await AdminApiTests.SendAsync(gateway, HttpMethod.Get, $"/v1/organization/projects/{project}/spend_limit", Master)).Body.GetProperty("threshold_amount").GetInt64());

        await page.Locator("#grant-amount").FillAsync("5");
        await page.Locator("#grant-days").FillAsync("30");
        await page.Locator("#grant-form button[type=submit]").ClickAsync();
        await Assertions.Expect(page.Locator("#grant-list li .chip")).ToHaveTextAsync("available");

        await page.Locator("#rate-model").FillAsync("metered");
        await page.Locator("#rate-form button[type=submit]").ClickAsync();
        var rate = page.Locator("#rate-table tr[data-model=metered]");
        await rate.Locator("input[name=max_tokens_per_1_minute]").FillAsync("100000");
        // The spend limit's "Saved." may still be showing: wait for this save's own response, not for the toast.
        var saved = await page.RunAndWaitForResponseAsync(() => rate.Locator("button").ClickAsync(),
            r => r.Request.Method == "POST" && r.Url.Contains("/rate_limits/rl-metered", StringComparison.Ordinal));
        Assert.Equal(200, saved.Status);
        await Assertions.Expect(page.Locator("#toast")).ToHaveTextAsync("Saved.");
        var (_, limits) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get, $"/v1/organization/projects/{project}/rate_limits", Master);
        Assert.Equal(100_000, limits.GetProperty("data")[0].GetProperty("max_tokens_per_1_minute").GetInt64());

        // The key's own limits: one request a minute, then the gateway refuses the second.
        await page.Locator($"#keys-table tr[data-key-id={keyId}] button.ghost").ClickAsync();
        await page.Locator("#kl-rpm").FillAsync("1");
        await page.Locator("#kl-budget").FillAsync("3");
        await page.Locator("#kl-interval").SelectOptionAsync("day");
        await page.Locator("#key-limits-save").ClickAsync();
        await Assertions.Expect(page.Locator($"#keys-table tr[data-key-id={keyId}]")).ToContainTextAsync("max_requests_per_1_minute=1");
        await page.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("keys-limits-en-desktop"), FullPage = true });
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(gateway, secret));
        Assert.Equal(HttpStatusCode.TooManyRequests, await ChatAsync(gateway, secret));

        // A new project, named in the browser's prompt, is created and selected.
        page.Dialog += (_, dialog) => _ = dialog.AcceptAsync("Web team");
        await page.Locator("#new-project").ClickAsync();
        await Assertions.Expect(page.Locator("#keys-project option:checked")).ToContainTextAsync("Web team");
        var (_, projects) = await AdminApiTests.SendAsync(gateway, HttpMethod.Get, "/v1/organization/projects", Master);
        Assert.Contains(projects.GetProperty("data").EnumerateArray(), p => p.GetProperty("name").GetString() == "Web team");
    }

    [BrowserFact]
    public async Task A_project_key_sees_the_playground_and_its_credit_but_not_the_key_list()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("metered", x => x.Json(200, Completion("hi", prompt: 10, completion: 90)));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", Master),
            ("Prices:metered:Input", "100"), ("Prices:metered:Output", "100"), ("Ledger:FlushInterval", "50ms")));
        var (project, secret, _) = await AdminApiTests.ProjectWithKeyAsync(gateway);
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(gateway, secret));
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(gateway, secret));
        Assert.Equal(HttpStatusCode.OK, (await AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/credit_grants", Master,
            new { amount = 5m, effective_at = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60 })).Status);
        // The ledger writes in batches: wait until the dashboard endpoint has both requests.
        var today = DateTimeOffset.UtcNow.UtcDateTime.Date;
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < TimeSpan.FromSeconds(30))
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/dashboard/billing/usage?start_date={today.AddDays(-6):yyyy-MM-dd}&end_date={today.AddDays(1):yyyy-MM-dd}");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            using var response = await gateway.Http.SendAsync(request);
            using var usage = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            if (usage.RootElement.GetProperty("total_usage").GetDecimal() >= 2m) break;
            await Task.Delay(50);
        }
        await using var browser = await BrowserSession.StartAsync();
        var page = await browser.PageAsync(390, 844);
        await page.GotoAsync(gateway.BaseUrl + "/#/usage");
        await SignInAsync(page, secret);

        // Its own project's spend, from the dashboard endpoint a project key may read: two cents.
        await Assertions.Expect(page.Locator("#total-spend")).ToHaveTextAsync("$0.02");
        await Assertions.Expect(page.Locator("#cost-chart .legend")).ToContainTextAsync("metered");
        Assert.False(await page.Locator("#usage-project").IsVisibleAsync());
        await Assertions.Expect(page.Locator("#balance")).ToHaveTextAsync("$4.98");
        await Assertions.Expect(page.Locator("#grants-table .chip")).ToHaveTextAsync("available");
        await page.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("usage-en-phone"), FullPage = true });
        await page.Locator("nav a[data-page=keys]").ClickAsync();
        await Assertions.Expect(page.Locator("#keys-table tbody")).ToHaveTextAsync("API keys need the master or an admin key.");
        // The key is in this tab's session storage only: not in the URL, not in local storage.
        Assert.DoesNotContain(secret, page.Url, StringComparison.Ordinal);
        Assert.Equal(secret, await page.EvaluateAsync<string>("() => sessionStorage.getItem('sb.key')"));
        Assert.Equal(0, await page.EvaluateAsync<int>($"() => Object.values(localStorage).filter(v => v.includes('{secret}')).length"));
    }
}
