using Microsoft.Playwright;

namespace Switchboard.Tests.Fixtures;

/// <summary>Debian's Chromium driven by Playwright, headless; one browser per test, closed with it.</summary>
public sealed class BrowserSession : IAsyncDisposable
{
    private static readonly string? Chromium = new[] { "/usr/bin/chromium", "/usr/bin/chromium-browser" }.FirstOrDefault(File.Exists);

    private BrowserSession(IPlaywright playwright, IBrowser browser)
    {
        Playwright = playwright;
        Browser = browser;
    }

    public static string? SkipReason => Chromium is null ? "skipped: Chromium is not installed (apt-get install chromium; .ci/run does)" : null;

    public IPlaywright Playwright { get; }
    public IBrowser Browser { get; }

    public static async Task<BrowserSession> StartAsync()
    {
        var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = Chromium, Headless = true });
        return new BrowserSession(playwright, browser);
    }

    /// <summary>A new page (its own storage) of the given size, in the given language.</summary>
    public async Task<IPage> PageAsync(int width = 1280, int height = 800, string locale = "en-US")
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = width, Height = height }, Locale = locale });
        return await context.NewPageAsync();
    }

    /// <summary>Where the tests put their screenshots (the test output's <c>screenshots/</c>).</summary>
    public static string ScreenshotPath(string name) =>
        Path.Combine(Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "screenshots")).FullName, name + ".png");

    public async ValueTask DisposeAsync()
    {
        await Browser.CloseAsync();
        Playwright.Dispose();
    }
}

/// <summary>A fact that needs Chromium; reported as skipped, saying why, where it is not installed.</summary>
public sealed class BrowserFactAttribute : FactAttribute
{
    public BrowserFactAttribute()
    {
        if (BrowserSession.SkipReason is { } reason) Skip = reason;
    }
}
