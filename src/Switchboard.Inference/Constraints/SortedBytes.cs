namespace Switchboard.Inference.Constraints;

/// <summary>
/// Byte strings sorted by their bytes, so those sharing a prefix form one contiguous range: property names, enum
/// values, tool-call openings. A recogniser keeps only the range and how many bytes matched, and narrows it a byte at a time.
/// </summary>
internal static class SortedBytes
{
    public static IComparer<byte[]> Order { get; } = Comparer<byte[]>.Create((x, y) => x.AsSpan().SequenceCompareTo(y));

    /// <summary>The sub-range of <paramref name="sorted"/>[lo, hi) whose byte at <paramref name="position"/> is <paramref name="b"/>.</summary>
    public static (int Lo, int Hi) Narrow(byte[][] sorted, int lo, int hi, int position, byte b)
    {
        while (lo < hi && (sorted[lo].Length <= position || sorted[lo][position] < b)) lo++;
        var end = lo;
        while (end < hi && sorted[end].Length > position && sorted[end][position] == b) end++;
        return (lo, end);
    }
}
