namespace Switchboard.Logging;

/// <summary>Where batches of log entries go. Called only from the drain loop, never concurrently.</summary>
public abstract class LogSink : IDisposable
{
    public abstract void Write(IReadOnlyList<LogEntry> batch);

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing) { }
}
