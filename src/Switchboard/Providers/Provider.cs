using Switchboard.Resilience;

namespace Switchboard.Providers;

/// <summary>
/// Where requests for a model can go: an upstream over HTTP (<see cref="UpstreamProvider"/>) or the models that run
/// in-process (<see cref="LocalProvider"/>). Each has circuit breakers (one per upstream, one per local model), so the
/// forwarder skips a failing one and tries the next in the model's list, whichever kind it is.
/// </summary>
public abstract class Provider(string name, CircuitBreaker breaker) : IDisposable
{
    public string Name { get; } = name;
    public CircuitBreaker Breaker { get; } = breaker;

    /// <summary>The breaker that guards requests for <paramref name="model"/> here: the provider's own, unless its models fail apart.</summary>
    public virtual CircuitBreaker BreakerFor(string model) => Breaker;

    /// <summary>Every breaker here and what it guards: the provider (by its name), or each local model.</summary>
    public virtual IEnumerable<(string Guarding, CircuitBreaker Breaker)> Breakers => [(Name, Breaker)];

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) { }
}
