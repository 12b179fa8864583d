namespace Switchboard.Inference.Tensors;

/// <summary>
/// Splits rows into one contiguous range per core. Small matrices run on the caller: below ~64 KiB of weights
/// the hand-off costs more than it saves. Never more ranges than cores, so two cores are never oversubscribed.
/// </summary>
internal static class RowPartition
{
    private const long MinBytesToSplit = 64 * 1024;

    public static void For(int rows, long weightBytes, Action<int, int> body)
    {
        if (weightBytes < MinBytesToSplit)
        {
            body(0, rows);
            return;
        }
        var parts = Math.Min(WorkerPool.Shared.Parts, rows);
        ForEachPart(parts, part => body((int)((long)rows * part / parts), (int)((long)rows * (part + 1) / parts)));
    }

    /// <summary>
    /// Runs parts 0..<paramref name="parts"/>-1 across the cores; on the caller alone when there is one part or the
    /// workers are busy with another session's job.
    /// </summary>
    public static void ForEachPart(int parts, Action<int> body)
    {
        if (parts > 1 && WorkerPool.Shared.TryRun(parts, body)) return;
        for (var part = 0; part < parts; part++) body(part);
    }
}
