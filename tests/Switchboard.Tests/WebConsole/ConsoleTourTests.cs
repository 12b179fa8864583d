using System.Net;
using Microsoft.Playwright;
using Switchboard.Tests.Admin;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.WebConsole;

/// <summary>Every page, in both languages, at desktop and phone width: each fits the screen, and each is photographed for the docs.</summary>
public sealed class ConsoleTourTests
{
    private const string Master = "sk-master-for-tests";

    [BrowserFact]
    public async Task Every_page_in_both_languages_fits_a_desktop_and_a_390_pixel_phone()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.ListedModels.AddRange(["gpt-4o-mini", "gpt-4o"]);
        upstream.On("gpt-4o-mini", x => x.Json(200, Completion("hi", prompt: 1200, completion: 300)));
        upstream.On("gpt-4o", x => x.Json(200, Completion("hi", prompt: 800, completion: 500)));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", Master), ("Ledger:FlushInterval", "50ms")));
        var (project, secret, _) = await AdminApiTests.ProjectWithKeyAsync(gateway, "Mobile app");
        Assert.Equal(HttpStatusCode.OK, (await AdminApiTests.SendAsync(gateway, HttpMethod.Post, $"/v1/organization/projects/{project}/credit_grants", Master,
            new { amount = 20m, effective_at = DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, expires_at = DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 30 * 86_400 })).Status);
        var client = gateway.Sdk(secret);
        for (var i = 0; i < 4; i++) await client.GetChatClient(i % 2 == 0 ? "gpt-4o-mini" : "gpt-4o").CompleteChatAsync("hello");

        await using var browser = await BrowserSession.StartAsync();
        foreach (var (language, locale) in new[] { ("en", "en-US"), ("zh", "zh-CN") })
        {
            foreach (var (size, width, height) in new[] { ("desktop", 1280, 800), ("phone", 390, 844) })
            {
                var page = await browser.PageAsync(width, height, locale);
                await page.GotoAsync(gateway.BaseUrl + "/");
                await page.Locator("#sign-in-dialog[open]").WaitForAsync();
                await page.Locator("#sign-in-key").FillAsync(Master);
                await page.Locator("#sign-in-submit").ClickAsync();
                await Assertions.Expect(page.Locator("#sign-in-dialog")).Not.ToBeVisibleAsync();
                await page.Locator("body[data-ready=true]").WaitForAsync();
                foreach (var name in new[] { "playground", "keys", "usage" })
                {
                    await page.Locator($"nav a[data-page={name}]").ClickAsync();
                    await Assertions.Expect(page.Locator($"#page-{name}")).ToBeVisibleAsync();
                    if (name == "keys")
                    {
                        await page.Locator("#keys-project").SelectOptionAsync(project);
                        await Assertions.Expect(page.Locator("#keys-table tbody tr")).ToHaveCountAsync(1);
                    }
                    if (name == "usage") await Assertions.Expect(page.Locator("#cost-chart .legend")).ToContainTextAsync("gpt-4o");
                    var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
                    Assert.True(overflow <= 0, $"{name} ({language}, {size}) is {overflow} px wider than the screen");
                    await page.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath($"{name}-{language}-{size}"), FullPage = true });
                }
                await page.Context.CloseAsync();
            }
        }
    }
}
