namespace Switchboard.Streaming;

/// <summary>Thrown when an upstream body goes silent for longer than the provider's idle timeout.</summary>
internal sealed class UpstreamIdleTimeoutException() : TimeoutException("The upstream sent nothing within the idle timeout.");

/// <summary>
/// A read-only view of an upstream body that fails any single read taking longer than the idle timeout.
/// One timer is re-armed per read rather than a token source allocated per read.
/// </summary>
internal sealed class IdleTimeoutStream : Stream
{
    private readonly Stream _inner;
    private readonly TimeSpan _idle;
    private readonly CancellationToken _clientAborted;
    private readonly CancellationTokenSource _timer = new();
    private readonly CancellationTokenSource _linked;

    public IdleTimeoutStream(Stream inner, TimeSpan idle, CancellationToken clientAborted)
    {
        _inner = inner;
        _idle = idle;
        _clientAborted = clientAborted;
        _linked = CancellationTokenSource.CreateLinkedTokenSource(clientAborted, _timer.Token);
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        _timer.CancelAfter(_idle);
        try
        {
            return await _inner.ReadAsync(buffer, _linked.Token);
        }
        catch (OperationCanceledException) when (_timer.IsCancellationRequested && !_clientAborted.IsCancellationRequested)
        {
            throw new UpstreamIdleTimeoutException();
        }
        finally
        {
            if (!_timer.IsCancellationRequested) _timer.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("Synchronous reads would block a thread per stream.");
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _linked.Dispose();
            _timer.Dispose();
            _inner.Dispose();
        }
        base.Dispose(disposing);
    }
}
