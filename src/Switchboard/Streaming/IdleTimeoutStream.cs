namespace Switchboard.Streaming;

/// <summary>Thrown when an upstream body goes silent for longer than the provider's idle timeout.</summary>
internal sealed class UpstreamIdleTimeoutException() : TimeoutException("The upstream sent nothing within the idle timeout.");

/// <summary>
/// A read-only view of an upstream body that fails any single read taking longer than the idle timeout. The
/// timeout source is the attempt's own (it already timed the response headers) and is re-armed per read, so a
/// request allocates one token source for all its timeouts.
/// </summary>
internal sealed class IdleTimeoutStream(Stream inner, TimeSpan idle, CancellationTokenSource timeout, CancellationToken clientAborted) : Stream
{
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        timeout.CancelAfter(idle);
        try
        {
            return await inner.ReadAsync(buffer, timeout.Token);
        }
        catch (OperationCanceledException) when (!clientAborted.IsCancellationRequested)
        {
            throw new UpstreamIdleTimeoutException();
        }
        finally
        {
            if (!timeout.IsCancellationRequested) timeout.CancelAfter(Timeout.InfiniteTimeSpan);
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
            inner.Dispose();
            timeout.Dispose();
        }
        base.Dispose(disposing);
    }
}
