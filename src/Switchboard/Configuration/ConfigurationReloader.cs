using System.Runtime.InteropServices;
using System.Text.Json;
using Switchboard.Ledger;
using Switchboard.Logging;
using Switchboard.Providers;
using Switchboard.Routing;

namespace Switchboard.Configuration;

/// <summary>What a reload attempt came to: applied, or rejected with the reasons (the old configuration kept).</summary>
internal sealed record ReloadOutcome(string Trigger, bool Applied, string? Problems = null);

/// <summary>
/// Applies configuration changes without a restart. The config file and <c>.env</c> are watched (and <c>SIGHUP</c> asks
/// too); a change is read and validated from all sources as at startup. An invalid one is rejected with every reason
/// logged, and the running configuration stays. A valid one replaces providers, models, aliases, prices, limits and
/// admission settings for new requests at once; requests already routed finish on the providers they were given. What
/// is read only at startup (listen addresses, storage, keys, the connection limit and Kestrel's timeouts, logging, local
/// models, telemetry) is named in a warning instead.
/// </summary>
internal sealed class ConfigurationReloader(ConfigurationInputs inputs, GatewayOptions startup, ProviderRegistry providers, ModelRouter router, Prices prices,
    Buffers.BufferBudget budget, ILogger<ConfigurationReloader> logger) : IHostedService, IDisposable
{
    // Editors save in bursts (truncate, write, rename): one reload after the file has been quiet this long.
    private static readonly TimeSpan Quiet = TimeSpan.FromMilliseconds(200);

    private readonly SemaphoreSlim _one = new(1, 1);
    private FileSystemWatcher? _watcher;
    private PosixSignalRegistration? _hangup;
    private Timer? _debounce;
    private TaskCompletionSource<ReloadOutcome> _next = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private string _applied = RestartOnly(startup);

    /// <summary>Completes with the outcome of the next reload attempt (what tests and operators wait on).</summary>
    public Task<ReloadOutcome> NextReload => Volatile.Read(ref _next).Task;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _debounce = new Timer(_ => _ = ReloadAsync("file changed"));
        var directory = inputs.ConfigFile is { } file ? Path.GetDirectoryName(Path.GetFullPath(file, inputs.WorkingDirectory))! : inputs.WorkingDirectory;
        if (Directory.Exists(directory))
        {
            _watcher = new FileSystemWatcher(directory) { NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size };
            _watcher.Changed += OnFileEvent;
            _watcher.Created += OnFileEvent;
            _watcher.Deleted += OnFileEvent;
            _watcher.Renamed += (_, e) =>
            {
                if (Watched(e.Name) || Watched(e.OldName)) _debounce?.Change(Quiet, Timeout.InfiniteTimeSpan);
            };
            try
            {
                _watcher.EnableRaisingEvents = true;
            }
            catch (IOException e)
            {
                // Out of inotify instances, typically: the gateway runs on, and SIGHUP still reloads.
                Log.ConfigurationNotWatched(logger, e.Message);
                _watcher.Dispose();
                _watcher = null;
            }
        }
        if (!OperatingSystem.IsWindows())
        {
            _hangup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;   // SIGHUP's default is to end the process
                _ = ReloadAsync("SIGHUP");
            });
        }
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    private void OnFileEvent(object sender, FileSystemEventArgs e)
    {
        if (Watched(e.Name)) _debounce?.Change(Quiet, Timeout.InfiniteTimeSpan);
    }

    private bool Watched(string? name) => name is not null && (inputs.ConfigFile is { } file
        ? string.Equals(name, Path.GetFileName(file), StringComparison.Ordinal)
        : name is "switchboard.json" or "switchboard.yaml" or "switchboard.yml") || name == Path.GetFileName(inputs.EnvFile ?? ".env");

    /// <summary>Reads every source again and applies what can change at runtime; never throws.</summary>
    public async Task<ReloadOutcome> ReloadAsync(string trigger)
    {
        await _one.WaitAsync();
        ReloadOutcome outcome;
        try
        {
            outcome = Apply(trigger);
        }
        finally
        {
            _one.Release();
        }
        Interlocked.Exchange(ref _next, new TaskCompletionSource<ReloadOutcome>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(outcome);
        return outcome;
    }

    private ReloadOutcome Apply(string trigger)
    {
        GatewayOptions next;
        try
        {
            next = GatewayOptionsReader.Read(ConfigurationSources.Build(inputs), inputs.WorkingDirectory);
        }
        catch (ConfigurationException e)
        {
            Log.ConfigurationRejected(logger, trigger, e.Message);
            return new ReloadOutcome(trigger, false, e.Message);
        }
        catch (IOException e)
        {
            // A file caught half-written or locked: the next event (or SIGHUP) tries again.
            Log.ConfigurationRejected(logger, trigger, e.Message);
            return new ReloadOutcome(trigger, false, e.Message);
        }
        var changed = providers.Apply(next.Providers);
        router.Apply(next.Models);
        prices.Configure(next.Prices, next.Models);
        startup.Relimit(next.Limits, next.Admission);
        budget.Resize(next.Limits.MaxBufferedBytes);
        var restartOnly = RestartOnly(next);
        if (restartOnly != _applied)
        {
            Log.ConfigurationNeedsRestart(logger, string.Join(", ", Differences(_applied, restartOnly)));
            _applied = restartOnly;
        }
        Log.ConfigurationReloaded(logger, trigger, next.Providers.Count, next.Models.Count, changed.Count == 0 ? "none" : string.Join(", ", changed));
        return new ReloadOutcome(trigger, true);
    }

    // The sections read once at startup, as JSON per section (the master key only as whether it is set).
    private static string RestartOnly(GatewayOptions o) => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["Urls"] = o.Urls, ["DataDirectory"] = o.DataDirectory, ["Database"] = o.Storage.PostgresConnectionString,
        ["MasterKey"] = o.MasterKey?.GetHashCode(StringComparison.Ordinal), ["Limits:MaxConnections"] = o.Limits.MaxConnections,
        ["Limits:RequestHeadersTimeout"] = o.Limits.RequestHeadersTimeout, ["Limits:MinRequestBodyBytesPerSecond"] = o.Limits.MinRequestBodyBytesPerSecond,
        ["Limits:RequestBodyGracePeriod"] = o.Limits.RequestBodyGracePeriod, ["Cors"] = o.CrossSite, ["Logging"] = o.Logging,
        ["Local"] = o.Local, ["Keys"] = o.Keys, ["Ledger"] = o.Ledger, ["Metrics"] = o.Metrics, ["Tracing"] = o.Tracing,
    });

    private static IEnumerable<string> Differences(string before, string after)
    {
        using var a = JsonDocument.Parse(before);
        using var b = JsonDocument.Parse(after);
        foreach (var section in b.RootElement.EnumerateObject())
        {
            if (!a.RootElement.TryGetProperty(section.Name, out var old) || old.GetRawText() != section.Value.GetRawText()) yield return section.Name;
        }
    }

    public void Dispose()
    {
        _hangup?.Dispose();
        _hangup = null;
        _watcher?.Dispose();
        _watcher = null;
        _debounce?.Dispose();
        _debounce = null;
    }
}
