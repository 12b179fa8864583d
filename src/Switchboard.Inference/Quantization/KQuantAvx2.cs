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
            var scales = Q4Scales(w, out var mins);
            var acc = Vector256<int>.Zero;
            for (var pair = 0; pair < 4; pair++)
            {
                Q4Unpack(w, pair, low, scales, out var first, out var second, out var scale1, out var scale2);
                acc += Q4Pair(first, second, scale1, scale2, x + Q8Quants + pair * 64);
            }
            sum += Q4Block(QuantizedDot.HalfAt(w), QuantizedDot.HalfAt(w + 2), x, acc, Mins(mins, x));
        }
        return sum;
    }

    /// <summary>
    /// A Q4_K block's eight 6-bit scales (byte j of the result) and eight mins, unpacked from its 12 packed bytes at
    /// once with whole-word masks and shifts rather than one sub-block at a time (the values
    /// <see cref="Dequantizer.ScaleMinK4"/> gives). Each min is given twice, as 16-bit lanes 2j and 2j+1, to meet
    /// sub-block j's two Q8_K group sums in one <c>vpmaddwd</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Q4Scales(byte* w, out Vector256<short> mins)
    {
        const uint six = 0x3f3f3f3f, four = 0x0f0f0f0f, two = 0x03030303;
        uint u0 = Unsafe.ReadUnaligned<uint>(w + 4), u1 = Unsafe.ReadUnaligned<uint>(w + 8), u2 = Unsafe.ReadUnaligned<uint>(w + 12);
        var scales = (u0 & six) | (ulong)((u2 & four) | ((u0 >> 6) & two) << 4) << 32;
        var packedMins = Vector128.CreateScalarUnsafe((u1 & six) | (ulong)(((u2 >> 4) & four) | ((u1 >> 6) & two) << 4) << 32).AsByte();
        mins = Avx2.ConvertToVector256Int16(Sse2.UnpackLow(packedMins, packedMins));
        return scales;
    }

    /// <summary>min_j · (the Q8_K sums of sub-block j's two halves), per sub-block: the block's min correction, exact in integers.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Mins(Vector256<short> mins, byte* x) => Avx2.MultiplyAddAdjacent(Avx.LoadVector256((short*)(x + Q8Sums)), mins);

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q6_K(byte* w, byte* x, int blocks)
    {
        var sum = 0f;
        var low = Vector256.Create((byte)0x0F);
        var high = Vector256.Create((byte)0x30);
        for (var b = 0; b < blocks; b++, w += BlockLayouts.Q6_KBytes, x += BlockLayouts.Q8_KBytes)
        {
            var acc = Vector256<int>.Zero;
            for (var half = 0; half < 2; half++)
            {
                Q6Unpack(w, half, low, high, out var q0, out var q1, out var q2, out var q3);
                acc += Q6Half(q0, q1, q2, q3, (sbyte*)(x + Q8Quants + half * 128), (sbyte*)(w + 192) + half * 8);
            }
            sum += QuantizedDot.HalfAt(w + 208) * Unsafe.ReadUnaligned<float>(x) * (Vector256.Sum(acc) - Q6Offset(w, x));
        }
        return sum;
    }

    /// <summary>
    /// Sub-blocks 2·pair and 2·pair+1 of a Q4_K block: 32 bytes hold both, low nibbles the first, high nibbles the
    /// second; with their scales (from <see cref="Q4Scales"/>) broadcast for <c>vpmaddwd</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q4Unpack(byte* w, int pair, Vector256<byte> low, ulong scales, out Vector256<byte> first, out Vector256<byte> second,
        out Vector256<short> scale1, out Vector256<short> scale2)
    {
        var packed = Avx.LoadVector256(w + 16 + pair * 32);
        first = packed & low;
        second = Avx2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & low;
        scale1 = Vector256.Create((short)(byte)(scales >> (16 * pair)));
        scale2 = Vector256.Create((short)(byte)(scales >> (16 * pair + 8)));
    }

    /// <summary>
    /// One half (128 elements) of a Q6_K block as four runs of 32 unsigned 6-bit values: low nibbles of ql[0..32),
    /// ql[32..64), then their high nibbles, each with its two bits of qh.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q6Unpack(byte* w, int half, Vector256<byte> low, Vector256<byte> high,
        out Vector256<byte> q0, out Vector256<byte> q1, out Vector256<byte> q2, out Vector256<byte> q3)
    {
        var ql0 = Avx.LoadVector256(w + half * 64);
        var ql1 = Avx.LoadVector256(w + half * 64 + 32);
        var qh = Avx.LoadVector256(w + 128 + half * 32).AsUInt16();
        q0 = (ql0 & low) | Avx2.ShiftLeftLogical(qh, 4).AsByte() & high;
        q1 = (ql1 & low) | Avx2.ShiftLeftLogical(qh, 2).AsByte() & high;
        q2 = (Avx2.ShiftRightLogical(ql0.AsUInt16(), 4).AsByte() & low) | (qh.AsByte() & high);
        q3 = (Avx2.ShiftRightLogical(ql1.AsUInt16(), 4).AsByte() & low) | (Avx2.ShiftRightLogical(qh, 2).AsByte() & high);
    }

    /// <summary>
    /// One Q4_K row against four Q8_K vectors <paramref name="stride"/> bytes apart (prefill): each block's nibbles
    /// and scales are unpacked once for the four. Per vector the integers and the float expression are
    /// <see cref="Q4_K"/>'s, so are the results.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q4_Kx4(byte* w, int blocks, byte* x, int stride, float* results)
    {
        float r0 = 0, r1 = 0, r2 = 0, r3 = 0;
        var low = Vector256.Create((byte)0x0F);
        byte* x0 = x, x1 = x + stride, x2 = x + 2 * stride, x3 = x + 3 * stride;
        for (var b = 0; b < blocks; b++, w += BlockLayouts.Q4_KBytes)
        {
            var scales = Q4Scales(w, out var mins);
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
            var offset = b * BlockLayouts.Q8_KBytes;
            for (var pair = 0; pair < 4; pair++)
            {
                Q4Unpack(w, pair, low, scales, out var first, out var second, out var scale1, out var scale2);
                var q = offset + Q8Quants + pair * 64;
                a0 += Q4Pair(first, second, scale1, scale2, x0 + q);
                a1 += Q4Pair(first, second, scale1, scale2, x1 + q);
                a2 += Q4Pair(first, second, scale1, scale2, x2 + q);
                a3 += Q4Pair(first, second, scale1, scale2, x3 + q);
            }
            float d = QuantizedDot.HalfAt(w), dmin = QuantizedDot.HalfAt(w + 2);
            r0 += Q4Block(d, dmin, x0 + offset, a0, Mins(mins, x0 + offset));
            r1 += Q4Block(d, dmin, x1 + offset, a1, Mins(mins, x1 + offset));
            r2 += Q4Block(d, dmin, x2 + offset, a2, Mins(mins, x2 + offset));
            r3 += Q4Block(d, dmin, x3 + offset, a3, Mins(mins, x3 + offset));
        }
        results[0] = r0;
        results[1] = r1;
        results[2] = r2;
        results[3] = r3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q4Pair(Vector256<byte> first, Vector256<byte> second, Vector256<short> scale1, Vector256<short> scale2, byte* q8) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(first, Avx.LoadVector256((sbyte*)q8)), scale1) +
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(second, Avx.LoadVector256((sbyte*)(q8 + 32))), scale2);

    /// <summary>
    /// The block's float result from its integer total and min correction, both reduced in one pass of horizontal adds
    /// (integer sums: exact in any order), then the scalar reference's float expression.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Q4Block(float d, float dmin, byte* x, Vector256<int> acc, Vector256<int> mins)
    {
        var both = Avx2.HorizontalAdd(acc, mins);      // a01 a23 m01 m23 | a45 a67 m45 m67
        both = Avx2.HorizontalAdd(both, both);         // a0-3 m0-3 … | a4-7 m4-7 …
        var sums = both.GetLower() + both.GetUpper();  // a, m, a, m
        var yd = Unsafe.ReadUnaligned<float>(x);
        return d * yd * sums.ToScalar() - dmin * yd * sums.GetElement(1);
    }

    /// <summary>One Q6_K row against four Q8_K vectors (prefill), each block unpacked once; results equal <see cref="Q6_K"/>'s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q6_Kx4(byte* w, int blocks, byte* x, int stride, float* results)
    {
        float r0 = 0, r1 = 0, r2 = 0, r3 = 0;
        var low = Vector256.Create((byte)0x0F);
        var high = Vector256.Create((byte)0x30);
        byte* x0 = x, x1 = x + stride, x2 = x + 2 * stride, x3 = x + 3 * stride;
        for (var b = 0; b < blocks; b++, w += BlockLayouts.Q6_KBytes)
        {
            var scales = (sbyte*)(w + 192);
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
            var offset = b * BlockLayouts.Q8_KBytes;
            for (var half = 0; half < 2; half++)
            {
                Q6Unpack(w, half, low, high, out var q0, out var q1, out var q2, out var q3);
                var g = scales + half * 8;
                var q = offset + Q8Quants + half * 128;
                a0 += Q6Half(q0, q1, q2, q3, (sbyte*)(x0 + q), g);
                a1 += Q6Half(q0, q1, q2, q3, (sbyte*)(x1 + q), g);
                a2 += Q6Half(q0, q1, q2, q3, (sbyte*)(x2 + q), g);
                a3 += Q6Half(q0, q1, q2, q3, (sbyte*)(x3 + q), g);
            }
            var d = QuantizedDot.HalfAt(w + 208);
            r0 += d * Unsafe.ReadUnaligned<float>(x0 + offset) * (Vector256.Sum(a0) - Q6Offset(w, x0 + offset));
            r1 += d * Unsafe.ReadUnaligned<float>(x1 + offset) * (Vector256.Sum(a1) - Q6Offset(w, x1 + offset));
            r2 += d * Unsafe.ReadUnaligned<float>(x2 + offset) * (Vector256.Sum(a2) - Q6Offset(w, x2 + offset));
            r3 += d * Unsafe.ReadUnaligned<float>(x3 + offset) * (Vector256.Sum(a3) - Q6Offset(w, x3 + offset));
        }
        results[0] = r0;
        results[1] = r1;
        results[2] = r2;
        results[3] = r3;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q6Half(Vector256<byte> q0, Vector256<byte> q1, Vector256<byte> q2, Vector256<byte> q3, sbyte* q8, sbyte* g) =>
        Run(q0, q8, g[0], g[1]) + Run(q1, q8 + 32, g[2], g[3]) + Run(q2, q8 + 64, g[4], g[5]) + Run(q3, q8 + 96, g[6], g[7]);

    /// <summary>
    /// Σ q·q8 over 32 elements, each half of 16 scaled by its group's scale. The values are stored as q = value + 32;
    /// <see cref="Q6Offset"/> takes the 32s off once per block, so the integer total is Σ scale·(q − 32)·q8 exactly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Run(Vector256<byte> q, sbyte* q8, sbyte scale0, sbyte scale1) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q, Avx.LoadVector256(q8)), Vector256.Create(Vector128.Create((short)scale0), Vector128.Create((short)scale1)));

    /// <summary>32 · Σ_g scale_g · (the Q8_K sum of group g's 16 activations): what the stored +32 adds to a block's total.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Q6Offset(byte* w, byte* x)
    {
        var scales = Avx2.ConvertToVector256Int16(Sse2.LoadVector128((sbyte*)(w + 192)));
        return 32 * Vector256.Sum(Avx2.MultiplyAddAdjacent(Avx.LoadVector256((short*)(x + Q8Sums)), scales));
    }
}
