using System.Runtime.InteropServices;

namespace Switchboard.Logging;

/// <summary>
/// Lowers a background writer's scheduling priority (the log writer's; the ledger writer's, less). On a gateway with one core, a drain that formats and writes a
/// hundred lines keeps the core for a scheduler slice (about a millisecond) while requests wait behind it, which is
/// what the gateway's p99 at one connection was made of. Niced, the writer is preempted as soon as request work
/// is runnable and catches up in the gaps; under sustained overload its queue is bounded and drops lines rather
/// than slowing requests.
/// </summary>
internal static partial class BackgroundPriority
{
    // Nice +10: CFS weight 110 against 1024 for normal threads — preempted at once, yet ~10 % of a saturated core to drain.
    private const int DefaultNiceness = 10;

    /// <summary>Returns whether the priority was lowered; when not, the thread keeps the default, which is only slower.</summary>
    public static bool LowerCurrentThread(int niceness = DefaultNiceness)
    {
        if (!OperatingSystem.IsLinux())
        {
            Thread.CurrentThread.Priority = ThreadPriority.BelowNormal;
            return true;
        }
        try
        {
            // On Linux nice() changes the calling thread only (nice values are per thread), relative to its current
            // value; raising one's own needs no privilege.
            return Nice(niceness) != -1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;    // a C library not reachable as "libc"
        }
    }

    [LibraryImport("libc", EntryPoint = "nice")]
    private static partial int Nice(int increment);
}
