using Switchboard.Inference.Generation;
using Switchboard.Inference.Models;

namespace Switchboard.LocalModels;

/// <summary>
/// A local model in memory, with the batch its generations run in. Every request that uses it holds a lease from
/// before its prompt is built until its generation has ended, and the model is unloaded only when no lease is
/// held and it has been idle for the configured time; a request that finds it unloading loads it afresh.
/// </summary>
internal sealed class LoadedModel : IDisposable
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _idleUnload;
    private readonly ITimer _idleTimer;
    private int _leases;
    private long _lastUsed;
    private bool _unloaded;
    private int _disposed;

    public LoadedModel(string name, LlamaModel model, long bytes, TimeProvider time, TimeSpan idleUnload, Action<LoadedModel> unloaded)
    {
        Name = name;
        Model = model;
        Bytes = bytes;
        _time = time;
        _idleUnload = idleUnload;
        _lastUsed = time.GetTimestamp();
        Generator = new BatchedGenerator(model);
        _idleTimer = time.CreateTimer(_ =>
        {
            if (TryUnload()) unloaded(this);
        }, null, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    public string Name { get; }
    public LlamaModel Model { get; }
    public BatchedGenerator Generator { get; }

    /// <summary>The model file's size: what it takes in memory, counted against <c>Local:MaxModelBytes</c>.</summary>
    public long Bytes { get; }

    /// <summary>Requests holding the model now.</summary>
    public int Leases
    {
        get
        {
            lock (_lock) return _leases;
        }
    }

    /// <summary>A lease on the model, unless it is being unloaded.</summary>
    public bool TryLease()
    {
        lock (_lock)
        {
            if (_unloaded) return false;
            _leases++;
            return true;
        }
    }

    public void Release()
    {
        lock (_lock)
        {
            _lastUsed = _time.GetTimestamp();
            if (--_leases > 0 || _unloaded) return;
            _idleTimer.Change(_idleUnload, Timeout.InfiniteTimeSpan);
        }
    }

    /// <summary>Unloads the model if nothing holds it and it has been idle long enough; otherwise waits for the rest of the idle time.</summary>
    private bool TryUnload()
    {
        lock (_lock)
        {
            if (_unloaded || _leases > 0) return false;
            var idle = _time.GetElapsedTime(_lastUsed);
            if (idle < _idleUnload)
            {
                _idleTimer.Change(_idleUnload - idle, Timeout.InfiniteTimeSpan);
                return false;
            }
            _unloaded = true;
        }
        Dispose();
        return true;
    }

    /// <summary>Ends its generations, waits for the step in progress, then unmaps the weights.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        _idleTimer.Dispose();
        Generator.Dispose();
        Model.Dispose();
    }
}
