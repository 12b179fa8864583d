namespace Switchboard.Streaming;

/// <summary>An upstream body went silent for longer than the idle timeout, or the attempt ran past its total time.</summary>
internal sealed class UpstreamTimeoutException(bool total) : TimeoutException("The upstream body timed out.")
{
    /// <summary>True when <c>Timeouts:Total</c> ran out rather than <c>Timeouts:Idle</c>.</summary>
    public bool Total { get; } = total;

    /// <summary>What was being waited for, for the client's error message; <paramref name="idlePhase"/> names the read that went silent.</summary>
    public string Phase(string idlePhase) => Total ? "end of the response (Timeouts:Total)" : idlePhase;
}

/// <summary>
/// A read-only view of an upstream body that fails a read taking longer than the idle timeout, and any read once
/// the attempt's total time (<c>Timeouts:Total</c>) is spent, so neither a silent nor an endless upstream holds a
/// stream open forever. The timeout source is the attempt's own (it already timed the response headers) and is
/// re-armed per read, so a request allocates one token source for all its timeouts.
/// </summary>
internal sealed class IdleTimeoutStream(Stream inner, TimeSpan idle, long deadline, TimeProvider time, CancellationTokenSource timeout, CancellationToken clientAborted) : Stream
{
    // The token argument is not needed: the timeout source is linked to the client's abort, which is every caller's token.
    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        var left = RemainingUntilDeadline();
        if (left <= TimeSpan.Zero) throw new UpstreamTimeoutException(total: true);
        var overall = left < idle;
        timeout.CancelAfter(overall ? left : idle);
        try
        {
            return await inner.ReadAsync(buffer, timeout.Token);
        }
        catch (OperationCanceledException) when (!clientAborted.IsCancellationRequested)
        {
            throw new UpstreamTimeoutException(overall);
        }
        finally
        {
            if (!timeout.IsCancellationRequested) timeout.CancelAfter(Timeout.InfiniteTimeSpan);
        }
    }

    private TimeSpan RemainingUntilDeadline() => time.GetElapsedTime(time.GetTimestamp(), deadline);

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
