using System.Collections.Concurrent;
using Switchboard.Configuration;
using Switchboard.Inference.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Switchboard.LocalModels;
using Switchboard.Logging;
using Switchboard.Resilience;

namespace Switchboard.Providers;

/// <summary>
/// The built-in provider <c>local</c>: every <c>NAME.gguf</c> in the models directory is <c>local/NAME</c>. A model is
/// loaded on first use, once, and shared by all requests, whose generations it decodes together in one batch (at most
/// <see cref="LocalOptions.MaxConcurrentSequences"/> at a time with <see cref="LocalOptions.MaxQueuedRequests"/> waiting),
/// and unloaded after <see cref="LocalOptions.IdleUnloadAfter"/> unused. A model that cannot load is a provider
/// failure, like an upstream that cannot be reached.
/// </summary>
public sealed class LocalProvider : Provider
{
    /// <summary>The prefix a local model's name carries in requests and in <c>/v1/models</c>.</summary>
    public const string Prefix = "local/";

    private readonly ConcurrentDictionary<string, Lazy<Task<LoadedModel>>> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CircuitBreaker> _breakers = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _sequences;
    private readonly int _maxWaiting;
    private int _waiting;

    public LocalProvider(LocalOptions options, TimeProvider time, ILogger? logger = null) : base(LocalOptions.ProviderName, new CircuitBreaker(new CircuitBreakerOptions(), time))
    {
        Options = options;
        _time = time;
        _logger = logger ?? NullLogger.Instance;
        Directory = new ModelsDirectory(options.ModelsDirectory);
        _sequences = new SemaphoreSlim(options.MaxConcurrentSequences, options.MaxConcurrentSequences);
        _maxWaiting = options.MaxQueuedRequests;
    }

    public LocalOptions Options { get; }
    internal ModelsDirectory Directory { get; }

    /// <summary>The model names (without <see cref="Prefix"/>) in the directory now.</summary>
    public IReadOnlyList<string> ModelNames => [.. Directory.List().Select(m => m.Name)];

    /// <summary>Each local model has its own breaker: one broken file must not take the working models out with it.</summary>
    public override CircuitBreaker BreakerFor(string model) =>
        _breakers.GetOrAdd(model, static (_, time) => new CircuitBreaker(new CircuitBreakerOptions(), time), _time);

    /// <summary>The breakers of the local models requested since start, by their full names.</summary>
    public override IEnumerable<(string Guarding, CircuitBreaker Breaker)> Breakers =>
        _breakers.OrderBy(b => b.Key, StringComparer.Ordinal).Select(b => (Prefix + b.Key, b.Value));

    /// <summary>Whether a model of this name (without <see cref="Prefix"/>) is in the directory.</summary>
    public bool Has(string name) => Directory.FileFor(name) is { } file && File.Exists(file);

    /// <summary>
    /// The loaded model with a lease on it (give it back with <see cref="LoadedModel.Release"/>), loading it on a
    /// background thread the first time. A failure is reported (without the server's paths) and not cached, so a fixed
    /// file is picked up by the next request; <c>Missing</c> says the file is not there.
    /// </summary>
    internal async Task<(LoadedModel? Model, string? Problem, bool Missing)> LoadAsync(string name)
    {
        while (true)
        {
            if (Directory.FileFor(name) is not { } file || !File.Exists(file)) return (null, $"there is no {name}.gguf in the models directory", true);
            if (!_models.ContainsKey(name) && TooLarge(Size(file)) is { } refusal) return (null, refusal, false);
            var load = _models.GetOrAdd(name, _ => new Lazy<Task<LoadedModel>>(() => Task.Run(() =>
            {
                var started = _time.GetTimestamp();
                var size = Size(file);
                var model = new LoadedModel(name, LlamaModel.Load(file), size, _time, Options.IdleUnloadAfter, Unloaded);
                Log.LocalModelLoaded(_logger, Prefix + name, size / 1e6, _time.GetElapsedTime(started).TotalMilliseconds);
                return model;
            })));
            LoadedModel loaded;
            try
            {
                loaded = await load.Value;
            }
            catch (Exception e)
            {
                // Whatever a malformed file makes the loader throw, it is this model's failure, not the gateway's.
                _models.TryRemove(new KeyValuePair<string, Lazy<Task<LoadedModel>>>(name, load));
                return (null, e.Message.Replace(file, $"{name}.gguf", StringComparison.Ordinal).Replace(Directory.Path, "the models directory", StringComparison.Ordinal), false);
            }
            if (loaded.TryLease()) return (loaded, null, false);
            // It was being unloaded as this request arrived: load it again.
            _models.TryRemove(new KeyValuePair<string, Lazy<Task<LoadedModel>>>(name, load));
        }
    }

    /// <summary>The models loaded now (for what they hold in memory).</summary>
    internal IReadOnlyList<string> Loaded => [.. LoadedModels().Select(m => m.Name)];

    /// <summary>Requests holding a loaded model now (preparing a prompt, queued, or generating).</summary>
    internal int Leased => LoadedModels().Sum(m => m.Leases);

    private IEnumerable<LoadedModel> LoadedModels() =>
        _models.Values.Where(m => m.IsValueCreated && m.Value.IsCompletedSuccessfully).Select(m => m.Value.Result);

    private void Unloaded(LoadedModel model)
    {
        if (_models.TryGetValue(model.Name, out var load) && load.IsValueCreated && load.Value.IsCompletedSuccessfully && load.Value.Result == model)
            _models.TryRemove(new KeyValuePair<string, Lazy<Task<LoadedModel>>>(model.Name, load));
        Log.LocalModelUnloaded(_logger, Prefix + model.Name, Options.IdleUnloadAfter);
    }

    private static long Size(string path)
    {
        // What a symbolic link leads to, not the link.
        using var handle = File.OpenHandle(path);
        return RandomAccess.GetLength(handle);
    }

    /// <summary>Why loading a file of <paramref name="needs"/> bytes now would pass <see cref="LocalOptions.MaxModelBytes"/>, or null when it fits.</summary>
    private string? TooLarge(long needs)
    {
        var loaded = LoadedModels().Sum(m => m.Bytes);
        if (loaded + needs <= Options.MaxModelBytes) return null;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"it needs {needs / 1e6:0.0} MB, and with {loaded / 1e6:0.0} MB of models loaded that passes Switchboard:Local:MaxModelBytes ({Options.MaxModelBytes / 1e6:0.0} MB)");
    }

    /// <summary>A slot to generate in, waiting in the bounded queue; false when the queue is full.</summary>
    internal async Task<bool> TryEnterAsync(CancellationToken cancellationToken)
    {
        if (_sequences.Wait(0, CancellationToken.None))
        {
            return true;
        }
        if (Interlocked.Increment(ref _waiting) > _maxWaiting)
        {
            Interlocked.Decrement(ref _waiting);
            return false;
        }
        try
        {
            await _sequences.WaitAsync(cancellationToken);
            return true;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    internal void Leave() => _sequences.Release();

    /// <summary>Requests waiting for a sequence slot now.</summary>
    internal int Queued => Volatile.Read(ref _waiting);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            // Each model's batch ends its generations and finishes the step in progress before the weights are unmapped.
            foreach (var model in LoadedModels()) model.Dispose();
            _sequences.Dispose();
        }
        base.Dispose(disposing);
    }
}
