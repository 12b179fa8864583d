namespace Switchboard.Inference.Gguf;

// Names follow ggml (Q4_0, Q6_K …) so they can be matched against its sources and tools at a glance.
#pragma warning disable CA1707

/// <summary>Tensor element types, numbered as in ggml's <c>enum ggml_type</c>.</summary>
public enum GgmlType : uint
{
    F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
    Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
    I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, BF16 = 30,
}

/// <summary>How many elements one block of a type holds and how many bytes it takes (ggml's block layouts).</summary>
public static class GgmlTypeInfo
{
    public static bool TryGetBlock(GgmlType type, out int elements, out int bytes)
    {
        (elements, bytes) = type switch
        {
            GgmlType.F32 => (1, 4),
            GgmlType.F16 or GgmlType.BF16 => (1, 2),
            GgmlType.Q4_0 => (32, 2 + 16),
            GgmlType.Q4_1 => (32, 2 + 2 + 16),
            GgmlType.Q5_0 => (32, 2 + 4 + 16),
            GgmlType.Q5_1 => (32, 2 + 2 + 4 + 16),
            GgmlType.Q8_0 => (32, 2 + 32),
            GgmlType.Q8_1 => (32, 4 + 32),
            GgmlType.Q2_K => (256, 256 / 16 + 256 / 4 + 2 + 2),
            GgmlType.Q3_K => (256, 256 / 8 + 256 / 4 + 12 + 2),
            GgmlType.Q4_K => (256, 2 + 2 + 12 + 256 / 2),
            GgmlType.Q5_K => (256, 2 + 2 + 12 + 256 / 8 + 256 / 2),
            GgmlType.Q6_K => (256, 256 / 2 + 256 / 4 + 256 / 16 + 2),
            GgmlType.Q8_K => (256, 4 + 256 + 256 / 16 * 2),
            GgmlType.I8 => (1, 1),
            GgmlType.I16 => (1, 2),
            GgmlType.I32 => (1, 4),
            GgmlType.I64 or GgmlType.F64 => (1, 8),
            _ => (0, 0),
        };
        return elements > 0;
    }
}
