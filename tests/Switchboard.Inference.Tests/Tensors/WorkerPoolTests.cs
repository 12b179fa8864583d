using Switchboard.Inference.Tensors;

namespace Switchboard.Inference.Tests.Tensors;

public sealed class WorkerPoolTests
{
    private static int Parts => WorkerPool.Shared.Parts;

    [Fact]
    public void Every_part_runs_exactly_once_per_job_and_its_writes_are_visible_to_the_caller()
    {
        var counts = new int[Parts];
        for (var job = 1; job <= 2000; job++)
        {
            RowPartition.ForEachPart(Parts, part => counts[part]++);
            Assert.All(counts, c => Assert.Equal(job, c));
        }
    }

    [Fact]
    public void A_failure_in_any_part_reaches_the_caller_and_the_pool_keeps_working()
    {
        var failing = Parts - 1;    // a worker's part when there is more than one core
        var error = Assert.Throws<InvalidOperationException>(() =>
            RowPartition.ForEachPart(Parts, part =>
            {
                if (part == failing) throw new InvalidOperationException("part failed");
            }));
        Assert.Equal("part failed", error.Message);

        var ran = new bool[Parts];
        RowPartition.ForEachPart(Parts, part => ran[part] = true);
        Assert.All(ran, Assert.True);
    }

    [Fact]
    public void A_second_session_is_turned_away_while_a_job_runs_and_then_runs_its_parts_itself()
    {
        if (Parts < 2) return;  // one core: every job runs on its caller, there is nothing to contend for
        bool? secondGotPool = null;
        var secondParts = new int[Parts];
        var secondThread = -1;
        var runningThreads = new HashSet<int>();
        // Take the pool; from inside part 0 (the caller's), another thread asks for it.
        var took = false;
        while (!took)
        {
            took = WorkerPool.Shared.TryRun(Parts, part =>
            {
                if (part != 0) return;
                var second = new Thread(() =>
                {
                    secondGotPool = WorkerPool.Shared.TryRun(Parts, _ => { });
                    secondThread = Environment.CurrentManagedThreadId;
                    RowPartition.ForEachPart(Parts, p =>
                    {
                        secondParts[p]++;
                        lock (runningThreads) runningThreads.Add(Environment.CurrentManagedThreadId);
                    });
                });
                second.Start();
                second.Join();
            });
        }
        Assert.False(secondGotPool);
        Assert.All(secondParts, c => Assert.Equal(1, c));
        Assert.Equal([secondThread], runningThreads);
    }

    [Fact]
    public void A_part_that_asks_for_the_pool_again_runs_its_nested_parts_itself()
    {
        var nested = new int[Parts];
        var outer = new int[Parts];
        // The other parts stay busy until the nested call is over: were it handed to the workers, it would wait for them
        // while they wait for it.
        using var nestedDone = new ManualResetEventSlim();
        RowPartition.ForEachPart(Parts, part =>
        {
            outer[part]++;
            if (part != 0)
            {
                Assert.True(nestedDone.Wait(TimeSpan.FromSeconds(30)), "the nested call never finished");
                return;
            }
            RowPartition.ForEachPart(Parts, p => nested[p]++);
            nestedDone.Set();
        });
        Assert.All(outer, c => Assert.Equal(1, c));
        Assert.All(nested, c => Assert.Equal(1, c));
    }
}
