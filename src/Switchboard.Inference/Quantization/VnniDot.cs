using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchboard.Inference.Quantization;

#pragma warning disable CA1707 // ggml's format names

/// <summary>
/// Q8_0 / Q4_0 weight rows against activations in the offset layout (<see cref="ActivationQuantizer.ToOffsetQ8_0"/>),
/// with AVX-VNNI's <c>vpdpbusd</c>: one instruction multiplies 32 unsigned by 32 signed bytes and sums them in fours.
/// The activations are stored as q+128, so a block's sum carries 128·Σw; that term is computed once per weight block
/// for every vector that meets it. Integer sums are exact and the scaling and float accumulation are
/// <see cref="QuantizedDot"/>'s AVX2 ones, so results are bit-identical to that path.
/// </summary>
internal static unsafe class VnniDot
{
    public static bool IsSupported => QuantizedDot.AllowSimd && AvxVnni.IsSupported && Avx2.IsSupported && Fma.IsSupported;

    /// <summary>How a weight format's block turns into 32 signed bytes in activation order, and where its delta is.</summary>
    public interface IWeightBlocks
    {
        static abstract int Bytes { get; }
        static abstract Vector256<sbyte> Load(byte* block);
    }

    public readonly struct Q8_0Blocks : IWeightBlocks
    {
        public static int Bytes => BlockLayouts.Q8_0Bytes;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<sbyte> Load(byte* block) => Avx.LoadVector256((sbyte*)(block + 2));
    }

    public readonly struct Q4_0Blocks : IWeightBlocks
    {
        public static int Bytes => BlockLayouts.Q4_0Bytes;

        // Low nibbles are elements 0..15, high nibbles 16..31; stored offset by 8.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<sbyte> Load(byte* block)
        {
            var packed = Sse2.LoadVector128(block + 2);
            var low = Vector128.Create((byte)0x0F);
            var nibbles = Vector256.Create(packed & low, Sse2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & low);
            return Avx2.Subtract(nibbles.AsSByte(), Vector256.Create((sbyte)8));
        }
    }

    /// <summary>
    /// One weight row against four vectors whose quants start <paramref name="quantStride"/> bytes apart (scales
    /// <paramref name="blocks"/> floats apart).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Four<TBlocks>(byte* w, int blocks, byte* quants, float* scales, int quantStride, float* results)
        where TBlocks : IWeightBlocks
    {
        Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
        byte* u0 = quants, u1 = quants + quantStride, u2 = quants + 2 * quantStride, u3 = quants + 3 * quantStride;
        float* s0 = scales, s1 = scales + blocks, s2 = scales + 2 * blocks, s3 = scales + 3 * blocks;
        var bias = Vector256.Create((byte)0x80);
        for (var b = 0; b < blocks; b++, w += TBlocks.Bytes)
        {
            var weights = TBlocks.Load(w);
            var offset = Vector256<int>.Zero - AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, bias, weights);
            var dw = Vector256.Create(QuantizedDot.HalfAt(w));
            var q = b * BlockLayouts.Q8_0Elements;
            a0 = Accumulate(a0, offset, weights, u0 + q, dw, s0[b]);
            a1 = Accumulate(a1, offset, weights, u1 + q, dw, s1[b]);
            a2 = Accumulate(a2, offset, weights, u2 + q, dw, s2[b]);
            a3 = Accumulate(a3, offset, weights, u3 + q, dw, s3[b]);
        }
        results[0] = Vector256.Sum(a0);
        results[1] = Vector256.Sum(a1);
        results[2] = Vector256.Sum(a2);
        results[3] = Vector256.Sum(a3);
    }

    /// <summary>One weight row against one vector (the batch's remainder).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float One<TBlocks>(byte* w, int blocks, byte* quants, float* scales) where TBlocks : IWeightBlocks
    {
        var acc = Vector256<float>.Zero;
        var bias = Vector256.Create((byte)0x80);
        for (var b = 0; b < blocks; b++, w += TBlocks.Bytes)
        {
            var weights = TBlocks.Load(w);
            var offset = Vector256<int>.Zero - AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, bias, weights);
            acc = Accumulate(acc, offset, weights, quants + b * BlockLayouts.Q8_0Elements, Vector256.Create(QuantizedDot.HalfAt(w)), scales[b]);
        }
        return Vector256.Sum(acc);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Accumulate(Vector256<float> acc, Vector256<int> offset, Vector256<sbyte> weights, byte* quants,
        Vector256<float> dw, float dx)
    {
        var sums = AvxVnni.MultiplyWideningAndAdd(offset, Avx.LoadVector256(quants), weights);
        return Fma.MultiplyAdd(dw * Vector256.Create(dx), Avx.ConvertToVector256Single(sums), acc);
    }
}
