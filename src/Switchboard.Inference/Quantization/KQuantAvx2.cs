using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchboard.Inference.Quantization;

#pragma warning disable CA1707 // ggml's format names

/// <summary>
/// AVX2 dot products of Q4_K / Q6_K rows with Q8_K activations. Each block's integer sum is built exactly as the
/// scalar path builds it (16-bit pair products from <c>vpmaddubsw</c>, widened against the sub-block scales by
/// <c>vpmaddwd</c>), and the block's float arithmetic is the scalar path's, so the results are bit-identical to it.
/// </summary>
internal static unsafe class KQuantAvx2
{
    private const int Q8Quants = 4, Q8Sums = 4 + 256;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q4_K(byte* w, byte* x, int blocks)
    {
        var sum = 0f;
        var low = Vector256.Create((byte)0x0F);
        for (var b = 0; b < blocks; b++, w += BlockLayouts.Q4_KBytes, x += BlockLayouts.Q8_KBytes)
        {
            var scales = new ReadOnlySpan<byte>(w + 4, 12);
            var sums = (short*)(x + Q8Sums);
            var acc = Vector256<int>.Zero;
            var mins = 0;
            for (var pair = 0; pair < 4; pair++)
            {
                // 32 bytes hold two sub-blocks of 32: low nibbles the first, high nibbles the second.
                var packed = Avx.LoadVector256(w + 16 + pair * 32);
                var first = packed & low;
                var second = Avx2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & low;
                Dequantizer.ScaleMinK4(2 * pair, scales, out var sc1, out var m1);
                Dequantizer.ScaleMinK4(2 * pair + 1, scales, out var sc2, out var m2);
                var q8 = (sbyte*)(x + Q8Quants + pair * 64);
                acc += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(first, Avx.LoadVector256(q8)), Vector256.Create((short)sc1));
                acc += Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(second, Avx.LoadVector256(q8 + 32)), Vector256.Create((short)sc2));
                mins += m1 * (sums[4 * pair] + sums[4 * pair + 1]) + m2 * (sums[4 * pair + 2] + sums[4 * pair + 3]);
            }
            var scaled = Vector256.Sum(acc);
            var yd = Unsafe.ReadUnaligned<float>(x);
            sum += QuantizedDot.HalfAt(w) * yd * scaled - QuantizedDot.HalfAt(w + 2) * yd * mins;
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q6_K(byte* w, byte* x, int blocks)
    {
        var sum = 0f;
        var low = Vector256.Create((byte)0x0F);
        var bias = Vector256.Create((byte)32);
        for (var b = 0; b < blocks; b++, w += BlockLayouts.Q6_KBytes, x += BlockLayouts.Q8_KBytes)
        {
            var scales = (sbyte*)(w + 192);
            var acc = Vector256<int>.Zero;
            for (var half = 0; half < 2; half++)
            {
                var ql0 = Avx.LoadVector256(w + half * 64);
                var ql1 = Avx.LoadVector256(w + half * 64 + 32);
                var qh = Avx.LoadVector256(w + 128 + half * 32).AsUInt16();
                // Four runs of 32 elements: low nibbles of ql0, ql1, then high nibbles, each with two bits of qh.
                var q0 = (ql0 & low) | Avx2.ShiftLeftLogical(qh, 4).AsByte() & Vector256.Create((byte)0x30);
                var q1 = (ql1 & low) | Avx2.ShiftLeftLogical(qh, 2).AsByte() & Vector256.Create((byte)0x30);
                var q2 = (Avx2.ShiftRightLogical(ql0.AsUInt16(), 4).AsByte() & low) | (qh.AsByte() & Vector256.Create((byte)0x30));
                var q3 = (Avx2.ShiftRightLogical(ql1.AsUInt16(), 4).AsByte() & low) | (Avx2.ShiftRightLogical(qh, 2).AsByte() & Vector256.Create((byte)0x30));
                var q8 = (sbyte*)(x + Q8Quants + half * 128);
                var g = scales + half * 8;
                acc += Run(q0, q8, g[0], g[1], bias);
                acc += Run(q1, q8 + 32, g[2], g[3], bias);
                acc += Run(q2, q8 + 64, g[4], g[5], bias);
                acc += Run(q3, q8 + 96, g[6], g[7], bias);
            }
            sum += QuantizedDot.HalfAt(w + 208) * Unsafe.ReadUnaligned<float>(x) * Vector256.Sum(acc);
        }
        return sum;
    }

    /// <summary>
    /// Σ (q − 32)·q8 over 32 elements, each half of 16 scaled by its group's scale. (q − 32)·q8 is taken as
    /// q·q8 − 32·q8 in 16-bit pairs: both fit, and their difference does too.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Run(Vector256<byte> q, sbyte* q8, sbyte scale0, sbyte scale1, Vector256<byte> bias)
    {
        var y = Avx.LoadVector256(q8);
        var pairs = Avx2.MultiplyAddAdjacent(q, y) - Avx2.MultiplyAddAdjacent(bias, y);
        return Avx2.MultiplyAddAdjacent(pairs, Vector256.Create(Vector128.Create((short)scale0), Vector128.Create((short)scale1)));
    }
}
