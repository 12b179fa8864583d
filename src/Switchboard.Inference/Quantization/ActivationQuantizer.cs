using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchboard.Inference.Quantization;

#pragma warning disable CA1707 // ggml's format names

/// <summary>
/// Quantises activations to Q8_0 before they meet Q8_0/Q4_0 weights, as llama.cpp's x86 build does
/// (<c>quantize_row_q8_0</c>): d = max|x|/127 stored as F16, q = x·(127/max|x|) rounded half to even. That differs
/// from the reference quantiser used for weights (<see cref="Quantizer.ToQ8_0"/>: 1/d, half away from zero) in the
/// last bit of a few values, which is why the two are kept apart. SIMD and scalar paths give identical bytes.
/// </summary>
internal static class ActivationQuantizer
{
    private const int Elements = BlockLayouts.Q8_0Elements;

    /// <summary>ggml's block layout: half d, then 32 signed quants.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToQ8_0(ReadOnlySpan<float> x, Span<byte> blocks)
    {
        for (var b = 0; b < x.Length / Elements; b++)
        {
            var block = blocks.Slice(b * BlockLayouts.Q8_0Bytes, BlockLayouts.Q8_0Bytes);
            var d = Quantize(x.Slice(b * Elements, Elements), MemoryMarshal.Cast<byte, sbyte>(block[2..]));
            MemoryMarshal.Write(block, d);
        }
    }

    /// <summary>
    /// The layout the batched kernels read (<see cref="BatchDot"/>): the quants back to back in one array, the blocks'
    /// deltas as floats in another, so two blocks fill one 512-bit load and no F16 is decoded in the inner loop.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToSplitQ8_0(ReadOnlySpan<float> x, Span<sbyte> quants, Span<float> scales)
    {
        for (var b = 0; b < x.Length / Elements; b++)
            scales[b] = (float)Quantize(x.Slice(b * Elements, Elements), quants.Slice(b * Elements, Elements));
    }

    private static Half Quantize(ReadOnlySpan<float> block, Span<sbyte> q)
    {
        if (QuantizedDot.AllowSimd && Avx2.IsSupported)
            return QuantizeAvx2(block, q);
        var amax = 0f;
        foreach (var v in block) amax = MathF.Max(amax, MathF.Abs(v));
        var id = amax != 0 ? 127f / amax : 0f;
        for (var j = 0; j < Elements; j++) q[j] = (sbyte)MathF.Round(block[j] * id, MidpointRounding.ToEven);
        return (Half)(amax / 127f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Half QuantizeAvx2(ReadOnlySpan<float> block, Span<sbyte> q)
    {
        var v = MemoryMarshal.Cast<float, Vector256<float>>(block);
        Vector256<float> v0 = v[0], v1 = v[1], v2 = v[2], v3 = v[3];
        var m = Avx.Max(Avx.Max(Vector256.Abs(v0), Vector256.Abs(v1)), Avx.Max(Vector256.Abs(v2), Vector256.Abs(v3)));
        var m4 = Sse.Max(m.GetLower(), m.GetUpper());
        m4 = Sse.Max(m4, Sse.MoveHighToLow(m4, m4));
        m4 = Sse.Max(m4, Sse.Shuffle(m4, m4, 1));
        var amax = m4.ToScalar();
        var id = Vector256.Create(amax != 0 ? 127f / amax : 0f);
        var low = Vector256.Narrow(Rounded(v0, id), Rounded(v1, id));
        var high = Vector256.Narrow(Rounded(v2, id), Rounded(v3, id));
        MemoryMarshal.Cast<sbyte, Vector256<sbyte>>(q)[0] = Vector256.Narrow(low, high);
        return (Half)(amax / 127f);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Rounded(Vector256<float> v, Vector256<float> id) =>
        Avx.ConvertToVector256Int32(Avx.RoundToNearestInteger(v * id));
}
