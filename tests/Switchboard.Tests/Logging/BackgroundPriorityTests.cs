using Microsoft.Extensions.Logging;
using Switchboard.Logging;

namespace Switchboard.Tests.Logging;

public sealed class BackgroundPriorityTests
{
    /// <summary>A sink that notes the nice value of the thread that writes to it: the log writer's own.</summary>
    private sealed class NiceProbe : LogSink
    {
        public TaskCompletionSource<int> WriterNice { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Write(IReadOnlyList<LogEntry> batch) => WriterNice.TrySetResult(ReadNice());
    }

    [Fact]
    public async Task The_log_writer_thread_runs_niced_so_request_threads_preempt_it()
    {
        if (!OperatingSystem.IsLinux()) return;    // elsewhere the thread priority is set through .NET, which Linux ignores
        var probe = new NiceProbe();
        var requestThreadNice = ReadNice();
        using (var provider = new BatchingLoggerProvider([probe], TimeProvider.System))
        {
            provider.CreateLogger("test").LogInformation("one line");
            Assert.Equal(requestThreadNice + 10, await probe.WriterNice.Task.WaitAsync(TimeSpan.FromSeconds(30)));
        }
        Assert.Equal(requestThreadNice, ReadNice());    // only that thread: the rest of the gateway keeps its priority
    }

    // /proc/thread-self/stat: "pid (comm) state ..." — nice is the 19th field; comm may contain spaces.
    private static int ReadNice()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture);
    }
}
