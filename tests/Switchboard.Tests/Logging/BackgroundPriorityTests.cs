using Switchboard.Logging;

namespace Switchboard.Tests.Logging;

public sealed class BackgroundPriorityTests
{
    [Fact]
    public void The_log_writer_thread_runs_niced_so_request_threads_preempt_it()
    {
        if (!OperatingSystem.IsLinux()) return;    // elsewhere the thread priority is set through .NET, which Linux ignores
        var lowered = false;
        var nice = int.MinValue;
        var mainNice = ReadNice();
        var thread = new Thread(() =>
        {
            lowered = BackgroundPriority.LowerCurrentThread();
            nice = ReadNice();
        });
        thread.Start();
        thread.Join();
        Assert.True(lowered);
        Assert.Equal(mainNice + 10, nice);
        Assert.Equal(mainNice, ReadNice());    // only that thread: the rest of the gateway keeps its priority
    }

    // /proc/thread-self/stat: "pid (comm) state ..." — nice is the 19th field; comm may contain spaces.
    private static int ReadNice()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[16], System.Globalization.CultureInfo.InvariantCulture);
    }
}
