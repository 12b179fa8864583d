using System.Diagnostics;
using System.Text.Json;
using Microsoft.Playwright;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.WebConsole;

/// <summary>The console's Playground in a real browser against a real gateway with the scripted upstream.</summary>
public sealed class PlaygroundTests
{
    private static IEnumerable<string> Messages(RecordedCall call) =>
        call.Json.GetProperty("messages").EnumerateArray().Select(m => $"{m.GetProperty("role")}:{m.GetProperty("content")}");

    private static async Task<IPage> OpenAsync(BrowserSession browser, GatewayHost gateway, int width = 1280, int height = 800, string locale = "en-US")
    {
        var page = await browser.PageAsync(width, height, locale);
        await page.GotoAsync(gateway.BaseUrl + "/");
        await page.Locator("body[data-ready=true]").WaitForAsync();
        return page;
    }

    [BrowserFact]
    public async Task An_answer_grows_as_it_streams_shows_its_tokens_and_latency_a_second_turn_carries_the_first_and_stop_cancels_upstream()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.ListedModels.Add("gpt-4o-mini");
        var halfway = new TaskCompletionSource();
        upstream.On("gpt-4o-mini", async x =>
        {
            switch (x.CallNumber)
            {
                case 1:
                    await x.StartSse();
                    await x.Event(RoleChunk());
                    await x.Event(ContentChunk("Streaming"));
                    await halfway.Task;   // the test looks at the half-written answer first
                    await x.Event(ContentChunk(" is **on**."));
                    await x.Event(FinishChunk());
                    await x.Event(UsageChunk(9, 4));
                    await x.Done();
                    break;
                case 2: await StreamAnswer(x, "Second ", "answer."); break;
                default:
                    await x.StartSse();
                    await x.Event(RoleChunk());
                    await x.Event(ContentChunk("Once upon a time"));
                    await x.Stall();
                    break;
            }
        });
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings());
        await using var browser = await BrowserSession.StartAsync();
        var page = await OpenAsync(browser, gateway);

        await page.Locator("#model").SelectOptionAsync("gpt-4o-mini");
        await page.Locator("#prompt").FillAsync("Is streaming on?");
        await page.Locator("#prompt").PressAsync("Enter");
        var answer = page.Locator(".message.assistant .body").Last;
        await Assertions.Expect(answer).ToHaveTextAsync("Streaming");
        Assert.True(await page.Locator("#stop-button").IsVisibleAsync());
        halfway.SetResult();
        await Assertions.Expect(answer).ToHaveTextAsync("Streaming is on.");
        Assert.Equal("on", await answer.Locator("strong").TextContentAsync());
        await Assertions.Expect(page.Locator(".message.assistant .stats").Last).ToContainTextAsync("9 prompt + 4 completion tokens");
        await page.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("playground-en-desktop"), FullPage = true });

        await page.Locator("#prompt").FillAsync("And again?");
        await page.Locator("#send").ClickAsync();
        await Assertions.Expect(page.Locator(".message.assistant .body").Last).ToHaveTextAsync("Second answer.");
        Assert.Equal(["user:Is streaming on?", "assistant:Streaming is **on**.", "user:And again?"], Messages(upstream.CallsFor("gpt-4o-mini")[1]));

        await page.Locator("#prompt").FillAsync("Tell me a long story");
        await page.Locator("#send").ClickAsync();
        await Assertions.Expect(page.Locator(".message.assistant .body").Last).ToHaveTextAsync("Once upon a time");
        await page.Locator("#stop-button").ClickAsync();
        await upstream.CallsFor("gpt-4o-mini")[2].Aborted.WaitAsync(TimeSpan.FromSeconds(30));
        await Assertions.Expect(page.Locator(".message.assistant .note").Last).ToHaveTextAsync("stopped");
        Assert.True(await page.Locator("#send").IsVisibleAsync());
    }

    [BrowserFact]
    public async Task View_code_gives_a_curl_command_that_the_gateway_answers()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.ListedModels.Add("gpt-4o-mini");
        upstream.On("gpt-4o-mini", x => x.Json(200, Completion("From curl.")));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings());
        await using var browser = await BrowserSession.StartAsync();
        var page = await OpenAsync(browser, gateway);
        await page.Locator("#model").SelectOptionAsync("gpt-4o-mini");
        await page.Locator("#system").FillAsync("Be brief. Answer {\"ok\": true} when unsure.");
        await page.Locator("#temperature").FillAsync("0.5");

        await page.Locator("#view-code").ClickAsync();
        var curl = await page.Locator("#code-text").TextContentAsync();
        await page.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("view-code-en-desktop") });
        foreach (var lang in new[] { "python", "node", "csharp" })
        {
            await page.Locator($"#code-dialog [data-lang={lang}]").ClickAsync();
            var snippet = await page.Locator("#code-text").TextContentAsync();
            Assert.Contains(gateway.BaseUrl + "/v1", snippet, StringComparison.Ordinal);
            // The system message reaches every snippet exactly, JSON inside it included (Python spells no True there).
            Assert.Contains("\"Be brief. Answer {\\\"ok\\\": true} when unsure.\"", snippet, StringComparison.Ordinal);
        }

        var start = new ProcessStartInfo("bash", ["-c", curl!]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["SWITCHBOARD_API_KEY"] = "sk-anything";   // open mode: any key is accepted
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        using var completion = JsonDocument.Parse(output);
        Assert.Equal("From curl.", completion.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
        var sent = upstream.CallsFor("gpt-4o-mini").Single().Json;
        Assert.Equal((0.5, "system:Be brief. Answer {\"ok\": true} when unsure."), (sent.GetProperty("temperature").GetDouble(), Messages(upstream.CallsFor("gpt-4o-mini").Single()).First()));
    }

    [BrowserFact]
    public async Task Model_output_with_script_and_img_onerror_is_shown_as_text_and_chinese_pages_stream_chinese_intact()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.ListedModels.Add("gpt-4o-mini");
        const string hostile = "<script>window.owned = 1</script><img src=x onerror=\\\"window.owned = 2\\\"> [link](javascript:window.owned=3)";
        upstream.On("gpt-4o-mini", x => x.CallNumber == 1 ? StreamAnswer(x, hostile) : StreamAnswer(x, "你好，", "世界！"));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings());
        await using var browser = await BrowserSession.StartAsync();
        var page = await OpenAsync(browser, gateway);
        await page.Locator("#model").SelectOptionAsync("gpt-4o-mini");

        await page.Locator("#prompt").FillAsync("Say something dangerous");
        await page.Locator("#send").ClickAsync();
        var answer = page.Locator(".message.assistant .body").Last;
        await Assertions.Expect(answer).ToContainTextAsync("<script>window.owned = 1</script><img src=x onerror=\"window.owned = 2\">");
        Assert.Equal(0, await page.Locator(".messages img, .messages script, .messages a[href^=javascript]").CountAsync());
        Assert.Equal("undefined", await page.EvaluateAsync<string>("() => typeof window.owned"));

        // In Chinese: the labels, and Chinese streamed text, intact. The choice is remembered.
        await page.Locator("#language").SelectOptionAsync("zh");
        await Assertions.Expect(page.Locator("nav a[data-page=playground]")).ToHaveTextAsync("试验场");
        await Assertions.Expect(page.Locator("#send")).ToHaveTextAsync("发送");
        await page.Locator("#prompt").FillAsync("你好");
        await page.Locator("#send").ClickAsync();
        await Assertions.Expect(page.Locator(".message.assistant .body").Last).ToHaveTextAsync("你好，世界！");
        await page.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("playground-zh-desktop"), FullPage = true });
        await page.ReloadAsync();
        await page.Locator("body[data-ready=true]").WaitForAsync();
        await Assertions.Expect(page.Locator("nav a[data-page=usage]")).ToHaveTextAsync("用量");

        // A browser that prefers Chinese starts in Chinese; the phone layout is one column.
        var phone = await OpenAsync(browser, gateway, 390, 844, "zh-CN");
        await Assertions.Expect(phone.Locator("#send")).ToHaveTextAsync("发送");
        var settings = await phone.Locator(".settings").BoundingBoxAsync();
        var chat = await phone.Locator(".chat").BoundingBoxAsync();
        Assert.True(chat!.Y >= settings!.Y + settings.Height, "on a phone the chat comes below the parameters");
        Assert.True(settings.Width <= 390);
        await phone.ScreenshotAsync(new() { Path = BrowserSession.ScreenshotPath("playground-zh-phone"), FullPage = true });
    }
}
