using Switchboard.Configuration;

namespace Switchboard.Resilience;

public enum CircuitState { Closed, Open, HalfOpen }

/// <summary>Why a breaker last counted a failure, and when: what an operator reads in <c>/readyz</c>.</summary>
public sealed record BreakerFailure(string Reason, DateTimeOffset At);

/// <summary>
/// Per-provider breaker: opens after <see cref="CircuitBreakerOptions.FailureThreshold"/> failures within a
/// rolling window (never on one), stays open for the break duration, then lets one probe through (half-open);
/// the probe's success closes it, its failure opens it again.
/// </summary>
public sealed class CircuitBreaker(CircuitBreakerOptions options, TimeProvider time)
{
    private readonly Lock _lock = new();
    private readonly Queue<long> _failures = new();
    private CircuitState _state = CircuitState.Closed;
    private long _openUntil;
    private long _probeStarted;

    private BreakerFailure? _lastFailure;

    public CircuitState State
    {
        get { lock (_lock) return _state; }
    }

    /// <summary>
    /// The state as an operator should read it: an open breaker whose break has ended lets the next request through
    /// as a probe, so it shows half-open although no request has come to move it yet.
    /// </summary>
    public CircuitState Observed
    {
        get
        {
            lock (_lock) return _state == CircuitState.Open && time.GetTimestamp() >= _openUntil ? CircuitState.HalfOpen : _state;
        }
    }

    /// <summary>The last failure counted (null: none since start); kept after the breaker closes again.</summary>
    public BreakerFailure? LastFailure => Volatile.Read(ref _lastFailure);

    /// <summary>Whether a request may go to the provider now; in half-open, only the single probe may.</summary>
    public bool TryAcquire()
    {
        lock (_lock)
        {
            var now = time.GetTimestamp();
            switch (_state)
            {
                case CircuitState.Closed:
                    return true;
                case CircuitState.Open when now >= _openUntil:
                    _state = CircuitState.HalfOpen;
                    _probeStarted = now;
                    return true;
                case CircuitState.HalfOpen when time.GetElapsedTime(_probeStarted, now) >= options.BreakDuration:
                    // A probe that never reported back must not wedge the breaker half-open forever.
                    _probeStarted = now;
                    return true;
                default:
                    return false;
            }
        }
    }

    /// <summary>How long until the breaker will let a probe through (zero when it would now).</summary>
    public TimeSpan RetryAfter
    {
        get
        {
            lock (_lock)
            {
                if (_state != CircuitState.Open) return TimeSpan.Zero;
                var now = time.GetTimestamp();
                return now >= _openUntil ? TimeSpan.Zero : time.GetElapsedTime(now, _openUntil);
            }
        }
    }

    public void RecordSuccess()
    {
        lock (_lock)
        {
            if (_state == CircuitState.HalfOpen)
            {
                _state = CircuitState.Closed;
                _failures.Clear();
            }
        }
    }

    /// <param name="reason">What failed, in the gateway's words (a status, a timeout): no upstream text, no URL.</param>
    public void RecordFailure(string reason)
    {
        Volatile.Write(ref _lastFailure, new BreakerFailure(reason, time.GetUtcNow()));
        lock (_lock)
        {
            var now = time.GetTimestamp();
            if (_state == CircuitState.HalfOpen)
            {
                Open(now);
                return;
            }
            if (_state == CircuitState.Open) return;
            _failures.Enqueue(now);
            while (_failures.Count > 0 && time.GetElapsedTime(_failures.Peek(), now) > options.Window)
                _failures.Dequeue();
            if (_failures.Count >= options.FailureThreshold) Open(now);
        }
    }

    private void Open(long now)
    {
        _state = CircuitState.Open;
        _openUntil = now + (long)(options.BreakDuration.TotalSeconds * time.TimestampFrequency);
        _failures.Clear();
    }
}
