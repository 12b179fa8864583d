using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using Switchboard.Hosting;

namespace Switchboard.Tests.Fixtures;

/// <summary>
/// The real <c>switchboard serve</c> in a process of its own, for what must be measured on the gateway alone:
/// its memory (RSS, peak RSS) and its behaviour at operating-system limits (file descriptors). Settings are
/// passed as <c>SWITCHBOARD__…</c> environment variables; the port is read from its "Listening on" log line.
/// </summary>
public sealed partial class GatewayProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly TaskCompletionSource<string> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(Regex Pattern, TaskCompletionSource<string> Seen)> _waiters = [];
    private readonly Lock _lock = new();

    private GatewayProcess(Process process) => _process = process;

    public string BaseUrl { get; private set; } = "";
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;
    public IReadOnlyCollection<string> Output => _output;

    /// <param name="settings">Keys as in configuration (<c>Providers:up:BaseUrl</c>), without the <c>Switchboard:</c> prefix.</param>
    /// <param name="openFileLimit">When set, the process runs under <c>ulimit -n</c> of this size.</param>
    /// <param name="dataDirectory">Where its store and logs go (default: a new temporary directory).</param>
    public static async Task<GatewayProcess> StartAsync(IDictionary<string, string> settings, int? openFileLimit = null, string? dataDirectory = null)
    {
        var dll = typeof(GatewayApp).Assembly.Location;
        var work = Directory.CreateTempSubdirectory("switchboard-process-").FullName;
        var command = $"exec dotnet '{dll}' serve --urls http://127.0.0.1:0 --data '{dataDirectory ?? Path.Combine(work, "data")}'";
        if (openFileLimit is { } limit) command = $"ulimit -n {limit.ToString(CultureInfo.InvariantCulture)} && {command}";
        var start = new ProcessStartInfo("bash", ["-c", command])
        {
            WorkingDirectory = work,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        // The child must not see the developer's own OpenAI or Switchboard settings.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("SWITCHBOARD__", StringComparison.OrdinalIgnoreCase) || k.StartsWith("OPENAI_", StringComparison.Ordinal)).ToList())
            start.Environment.Remove(key);
        start.Environment["HOME"] = work;
        start.Environment["SWITCHBOARD__LOGGING__FILE__ENABLED"] = "false";
        foreach (var (key, value) in settings) start.Environment["SWITCHBOARD__" + key.Replace(":", "__", StringComparison.Ordinal)] = value;

        var process = Process.Start(start)!;
        var gateway = new GatewayProcess(process);
        process.OutputDataReceived += (_, e) => gateway.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => gateway.OnLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var exited = process.WaitForExitAsync();
        var first = await Task.WhenAny(gateway._listening.Task, exited).WaitAsync(TimeSpan.FromSeconds(60));
        if (first == exited) throw new InvalidOperationException("switchboard exited at startup:\n" + string.Join("\n", gateway._output));
        gateway.BaseUrl = await gateway._listening.Task;
        return gateway;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        _output.Enqueue(line);
        if (ListeningLine().Match(line) is { Success: true } match) _listening.TrySetResult(match.Groups[1].Value);
        lock (_lock)
        {
            foreach (var (pattern, seen) in _waiters)
            {
                if (pattern.IsMatch(line)) seen.TrySetResult(line);
            }
        }
    }

    /// <summary>The first output line matching <paramref name="pattern"/>, already printed or still to come.</summary>
    public Task<string> WaitForLineAsync(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern);
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            _waiters.Add((regex, seen));
            if (_output.FirstOrDefault(regex.IsMatch) is { } line) seen.TrySetResult(line);
        }
        return seen.Task.WaitAsync(timeout);
    }

    /// <summary>Resident memory now and at its peak, in bytes, from <c>/proc</c>.</summary>
    public (long Rss, long PeakRss) Memory()
    {
        long rss = 0, peak = 0;
        foreach (var line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal)) rss = Kilobytes(line);
            else if (line.StartsWith("VmHWM:", StringComparison.Ordinal)) peak = Kilobytes(line);
        }
        return (rss, peak);

        static long Kilobytes(string line) => 1024 * long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"Listening on (http://127\.0\.0\.1:\d+)")]
    private static partial Regex ListeningLine();

    /// <summary>Kills the process outright (SIGKILL: no shutdown, no flushing) and waits for it to be gone.</summary>
    public async Task KillAsync()
    {
        if (_process.HasExited) return;
        _process.Kill();
        await _process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        _process.Dispose();
    }
}
