using System.Collections.Concurrent;
using Switchboard.Configuration;
using Switchboard.Inference.Models;
using Switchboard.LocalModels;
using Switchboard.Resilience;

namespace Switchboard.Providers;

/// <summary>
/// The built-in provider <c>local</c>: every <c>NAME.gguf</c> in the models directory is <c>local/NAME</c>. A model is
/// loaded on first use, once, and shared by all requests; generations run off the request threads, at most
/// <see cref="LocalOptions.MaxConcurrentSequences"/> at a time with <see cref="LocalOptions.MaxQueuedRequests"/> waiting.
/// A model that cannot load is a provider failure, like an upstream that cannot be reached.
/// </summary>
public sealed class LocalProvider : Provider
{
    /// <summary>The prefix a local model's name carries in requests and in <c>/v1/models</c>.</summary>
    public const string Prefix = "local/";

    private readonly ConcurrentDictionary<string, Lazy<Task<LlamaModel>>> _models = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, CircuitBreaker> _breakers = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _sequences;
    private readonly int _maxWaiting;
    private int _waiting;
    private int _running;

    public LocalProvider(LocalOptions options, TimeProvider time) : base(LocalOptions.ProviderName, new CircuitBreaker(new CircuitBreakerOptions(), time))
    {
        Options = options;
        _time = time;
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

    /// <summary>Whether a model of this name (without <see cref="Prefix"/>) is in the directory.</summary>
    public bool Has(string name) => Directory.FileFor(name) is { } file && File.Exists(file);

    /// <summary>
    /// The loaded model, loading it on a background thread the first time. A failure is reported (without the
    /// server's paths) and not cached, so a fixed file is picked up by the next request; <c>Missing</c> says the file is not there.
    /// </summary>
    internal async Task<(LlamaModel? Model, string? Problem, bool Missing)> LoadAsync(string name)
    {
        if (Directory.FileFor(name) is not { } file || !File.Exists(file)) return (null, $"there is no {name}.gguf in the models directory", true);
        if (!_models.ContainsKey(name) && TooLarge(file) is { } refusal) return (null, refusal, false);
        var load = _models.GetOrAdd(name, _ => new Lazy<Task<LlamaModel>>(() => Task.Run(() => LlamaModel.Load(file))));
        try
        {
            return (await load.Value, null, false);
        }
        catch (Exception e)
        {
            // Whatever a malformed file makes the loader throw, it is this model's failure, not the gateway's.
            _models.TryRemove(new KeyValuePair<string, Lazy<Task<LlamaModel>>>(name, load));
            return (null, e.Message.Replace(file, $"{name}.gguf", StringComparison.Ordinal).Replace(Directory.Path, "the models directory", StringComparison.Ordinal), false);
        }
    }

    /// <summary>Why loading <paramref name="file"/> now would pass <see cref="LocalOptions.MaxModelBytes"/>, or null when it fits.</summary>
    private string? TooLarge(string file)
    {
        long Size(string path)
        {
            // What a symbolic link leads to, not the link.
            using var handle = File.OpenHandle(path);
            return RandomAccess.GetLength(handle);
        }
        var loaded = _models.Keys.Select(Directory.FileFor).OfType<string>().Where(File.Exists).Sum(Size);
        var needs = Size(file);
        if (loaded + needs <= Options.MaxModelBytes) return null;
        return string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"it needs {needs / 1e6:0.0} MB, and with {loaded / 1e6:0.0} MB of models loaded that passes Switchboard:Local:MaxModelBytes ({Options.MaxModelBytes / 1e6:0.0} MB)");
    }

    /// <summary>A slot to generate in, waiting in the bounded queue; false when the queue is full.</summary>
    internal async Task<bool> TryEnterAsync(CancellationToken cancellationToken)
    {
        if (_sequences.Wait(0, CancellationToken.None))
        {
            Interlocked.Increment(ref _running);
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
            Interlocked.Increment(ref _running);
            return true;
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    internal void Leave()
    {
        _sequences.Release();
        Interlocked.Decrement(ref _running);
    }

    protected override void Dispose(bool disposing)
    {
        // A generation still running (its client gone, shutdown's grace over) reads the weights from the mapping: leave
        // the mappings and the gate to the process's exit rather than pull them from under it.
        if (disposing && Volatile.Read(ref _running) == 0)
        {
            foreach (var load in _models.Values)
            {
                if (load.IsValueCreated && load.Value.IsCompletedSuccessfully) load.Value.Result.Dispose();
            }
            _sequences.Dispose();
        }
        base.Dispose(disposing);
    }
}
