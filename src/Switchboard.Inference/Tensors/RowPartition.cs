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
        var parts = Math.Min(Environment.ProcessorCount, rows);
        if (parts <= 1 || weightBytes < MinBytesToSplit)
        {
            body(0, rows);
            return;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
            body((int)((long)rows * part / parts), (int)((long)rows * (part + 1) / parts)));
    }
}
