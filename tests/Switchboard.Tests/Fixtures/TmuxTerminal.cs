using System.Diagnostics;

namespace Switchboard.Tests.Fixtures;

/// <summary>
/// A real terminal: a command run in its own tmux server (UTF-8, 120×40), typed into with <c>send-keys</c> and read
/// with <c>capture-pane</c>, as a person would use it.
/// </summary>
public sealed class TmuxTerminal : IAsyncDisposable
{
    private static readonly string? Tmux = new[] { "/usr/bin/tmux", "/usr/local/bin/tmux" }.FirstOrDefault(File.Exists);
    private readonly string _socket = $"switchboard-test-{Environment.ProcessId}-{Guid.NewGuid():N}";

    public static string? SkipReason => Tmux is null ? "skipped: tmux is not installed (apt-get install tmux; .ci/run does)" : null;

    /// <summary>Starts <paramref name="arguments"/> (a program and its arguments) in a new session with <paramref name="environment"/>.</summary>
    public static async Task<TmuxTerminal> StartAsync(IReadOnlyList<string> arguments, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        var terminal = new TmuxTerminal();
        List<string> args = ["-u", "new-session", "-d", "-s", "main", "-x", "120", "-y", "40", "-c", workingDirectory];
        foreach (var (name, value) in environment) args.AddRange(["-e", $"{name}={value}"]);
        args.Add(string.Join(' ', arguments.Select(Quote)));
        await terminal.RunAsync(args);
        return terminal;
    }

    /// <summary>Types <paramref name="text"/> literally, then Enter.</summary>
    public async Task TypeLineAsync(string text)
    {
        await RunAsync(["send-keys", "-t", "main", "-l", text]);
        await RunAsync(["send-keys", "-t", "main", "Enter"]);
    }

    /// <summary>Types <paramref name="text"/> literally, without Enter.</summary>
    public Task TypeAsync(string text) => RunAsync(["send-keys", "-t", "main", "-l", text]);

    /// <summary>Presses keys by tmux's names for them (<c>C-c</c>, <c>Left</c>, <c>BSpace</c>, <c>Up</c>).</summary>
    public Task PressAsync(params string[] keys) => RunAsync(["send-keys", "-t", "main", .. keys]);

    /// <summary>The screen and its scrollback, wrapped lines joined; with <paramref name="styles"/>, with the escape sequences that colour it.</summary>
    public Task<string> ScreenAsync(bool styles = false) =>
        RunAsync(styles ? ["capture-pane", "-p", "-e", "-J", "-S", "-", "-t", "main"] : ["capture-pane", "-p", "-J", "-S", "-", "-t", "main"]);

    /// <summary>Waits until the screen shows <paramref name="text"/> (30 s at most, then fails showing the screen).</summary>
    public async Task<string> WaitForAsync(string text, int occurrences = 1)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var screen = await ScreenAsync();
            if (Count(screen, text) >= occurrences) return screen;
            if (deadline.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"the terminal never showed \"{text}\" ×{occurrences}:\n{screen}");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the last line with text on the screen is <paramref name="line"/> (a prompt waiting for input).</summary>
    public async Task WaitForLastLineAsync(string line)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var screen = await ScreenAsync();
            if (screen.Split('\n').LastOrDefault(l => l.Trim().Length > 0)?.TrimEnd() == line) return;
            if (deadline.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"the terminal's last line never became \"{line}\":\n{screen}");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the program has exited and its session is gone (30 s at most).</summary>
    public async Task WaitForExitAsync()
    {
        var deadline = Stopwatch.StartNew();
        while (await TryRunAsync(["has-session", "-t", "main"]))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(30)) throw new TimeoutException($"the program did not exit:\n{await ScreenAsync()}");
            await Task.Delay(50);
        }
    }

    private static int Count(string screen, string text)
    {
        var count = 0;
        for (var at = screen.IndexOf(text, StringComparison.Ordinal); at >= 0; at = screen.IndexOf(text, at + text.Length, StringComparison.Ordinal)) count++;
        return count;
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private async Task<string> RunAsync(IEnumerable<string> args)
    {
        var (exit, output, error) = await ExecAsync(args);
        if (exit != 0) throw new InvalidOperationException($"tmux {string.Join(' ', args)} failed ({exit}): {error}");
        return output;
    }

    private async Task<bool> TryRunAsync(IEnumerable<string> args) => (await ExecAsync(args)).Exit == 0;

    private async Task<(int Exit, string Output, string Error)> ExecAsync(IEnumerable<string> args)
    {
        var start = new ProcessStartInfo(Tmux ?? throw new InvalidOperationException(SkipReason)) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("-L");
        start.ArgumentList.Add(_socket);
        foreach (var arg in args) start.ArgumentList.Add(arg);
        start.Environment["LANG"] = "C.UTF-8";
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await output, await error);
    }

    public async ValueTask DisposeAsync() => await ExecAsync(["kill-server"]);
}

/// <summary>A fact that needs tmux; reported as skipped, saying why, where it is not installed.</summary>
public sealed class TmuxFactAttribute : FactAttribute
{
    public TmuxFactAttribute()
    {
        if (TmuxTerminal.SkipReason is { } reason) Skip = reason;
    }
}
