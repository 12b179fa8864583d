namespace Switchboard.Inference.Gguf;

/// <summary>
/// A tensor in a GGUF file. <see cref="Dimensions"/> are ggml's <c>ne</c>: the first is the innermost
/// (contiguous) one. <see cref="Offset"/> is from the start of the file (already past the data section start).
/// </summary>
public sealed record GgufTensorInfo(string Name, IReadOnlyList<long> Dimensions, GgmlType Type, long Offset, long ByteSize)
{
    public long ElementCount
    {
        get
        {
            long count = 1;
            foreach (var d in Dimensions) count *= d;
            return count;
        }
    }
}
