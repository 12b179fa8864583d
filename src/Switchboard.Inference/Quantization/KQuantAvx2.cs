using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchboard.Inference.Quantization;

#pragma warning disable CA1707 // ggml's format names

/// <summary>
/// AVX2 dot products of Q4_K / Q6_K rows with Q8_K activations. Each block's integer sums are built exactly as the
/// scalar path builds them (16-bit pair products from <c>vpmaddubsw</c>, widened against the sub-block scales by
/// <c>vpmaddwd</c>), and the float arithmetic is the scalar path's operation for operation (eight lanes of fused
/// multiply-adds across blocks, summed once per row), so the results are bit-identical to it.
/// </summary>
internal static unsafe class KQuantAvx2
{
    private const int Q8Quants = 4, Q8Sums = 4 + 256;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q4_K(byte* w, byte* x, int blocks)
    {
        var acc = Vector256<float>.Zero;
        var low = Vector256.Create((byte)0x0F);
        for (var b = 0; b < blocks; b++, w += BlockLayouts.Q4_KBytes, x += BlockLayouts.Q8_KBytes)
        {
            var scales = ScaleBytes(Q4Scales(w, out var mins));
            // Unrolled by hand (the JIT does not): each pair's shuffle controls become constants.
            var sums = Q4Pair(w, 0, low, scales, x) + Q4Pair(w, 1, low, scales, x) + Q4Pair(w, 2, low, scales, x) + Q4Pair(w, 3, low, scales, x);
            acc = Q4Block(QuantizedDot.HalfAt(w), QuantizedDot.HalfAt(w + 2), x, sums, Mins(mins, x), acc);
        }
        return Sum(acc);
    }

    /// <summary>
    /// The eight lanes' float sums, in the order <see cref="QuantizedDot.Q4_K"/>'s scalar path adds them:
    /// (a_j + a_{j+4}) per j, then (t0 + t2) + (t1 + t3).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Sum(Vector256<float> acc)
    {
        var halves = acc.GetLower() + acc.GetUpper();
        var pairs = halves + Sse.MoveHighToLow(halves, halves);
        return pairs.ToScalar() + pairs.GetElement(1);
    }

    /// <summary>The eight scale bytes in both 128-bit halves, for <c>vpshufb</c> to spread per sub-block.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> ScaleBytes(ulong scales) => Vector256.Create(Vector128.CreateScalarUnsafe(scales).AsByte(), Vector128.CreateScalarUnsafe(scales).AsByte());

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
        var acc = Vector256<float>.Zero;
        var low = Vector256.Create((byte)0x0F);
        var high = Vector256.Create((byte)0x30);
        for (var b = 0; b < blocks; b++, w += BlockLayouts.Q6_KBytes, x += BlockLayouts.Q8_KBytes)
        {
            var scales = Vector256.Create(Sse2.LoadVector128(w + 192));
            Q6Unpack(w, 0, low, high, out var q0, out var q1, out var q2, out var q3);
            var sums = Q6Half(q0, q1, q2, q3, (sbyte*)(x + Q8Quants), scales, 0);
            Q6Unpack(w, 1, low, high, out q0, out q1, out q2, out q3);
            sums += Q6Half(q0, q1, q2, q3, (sbyte*)(x + Q8Quants + 128), scales, 1);
            acc = Q6Block(QuantizedDot.HalfAt(w + 208), w, x, sums, acc);
        }
        return Sum(acc);
    }

    /// <summary>
    /// Adds a Q6_K block to the eight float lanes: its integer sums less what the stored +32 added
    /// (<see cref="Q6Offset"/>, subtracted lane by lane), at d·d8, in one fused multiply-add. The lanes' integer total is
    /// the block's exactly; a single lane is not its elements' own share (the offset lanes group by scale, the sums by
    /// position), which costs a little float precision in the lanes, the same in the scalar path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q6Block(float d, byte* w, byte* x, Vector256<int> sums, Vector256<float> acc) =>
        Fma.MultiplyAdd(Vector256.Create(d * Unsafe.ReadUnaligned<float>(x)), Avx.ConvertToVector256Single(sums - Q6Offset(w, x)), acc);

    /// <summary>
    /// Sub-blocks 2·pair and 2·pair+1 of a Q4_K block: 32 bytes hold both, low nibbles the first, high nibbles the
    /// second; with their scales (from <see cref="Q4Scales"/>) broadcast for <c>vpmaddwd</c>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q4Unpack(byte* w, int pair, Vector256<byte> low, Vector256<byte> scales, out Vector256<byte> first, out Vector256<byte> second,
        out Vector256<short> scale1, out Vector256<short> scale2)
    {
        var packed = Avx.LoadVector256(w + 16 + pair * 32);
        first = packed & low;
        second = Avx2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & low;
        scale1 = Avx2.Shuffle(scales, SpreadScale(2 * pair)).AsInt16();
        scale2 = Avx2.Shuffle(scales, SpreadScale(2 * pair + 1)).AsInt16();
    }

    /// <summary><c>vpshufb</c> control putting byte <paramref name="j"/> in every 16-bit lane's low byte and 0 in its high byte.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<byte> SpreadScale(int j) => Vector256.Create((ushort)(0x8000 | j)).AsByte();

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
        Vector256<float> r0 = default, r1 = default, r2 = default, r3 = default;
        var low = Vector256.Create((byte)0x0F);
        byte* x0 = x, x1 = x + stride, x2 = x + 2 * stride, x3 = x + 3 * stride;
        for (var b = 0; b < blocks; b++, w += BlockLayouts.Q4_KBytes)
        {
            var scales = ScaleBytes(Q4Scales(w, out var mins));
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
            var offset = b * BlockLayouts.Q8_KBytes;
            Q4PairX4(w, 0, low, scales, x0 + offset, x1 + offset, x2 + offset, x3 + offset, ref a0, ref a1, ref a2, ref a3);
            Q4PairX4(w, 1, low, scales, x0 + offset, x1 + offset, x2 + offset, x3 + offset, ref a0, ref a1, ref a2, ref a3);
            Q4PairX4(w, 2, low, scales, x0 + offset, x1 + offset, x2 + offset, x3 + offset, ref a0, ref a1, ref a2, ref a3);
            Q4PairX4(w, 3, low, scales, x0 + offset, x1 + offset, x2 + offset, x3 + offset, ref a0, ref a1, ref a2, ref a3);
            float d = QuantizedDot.HalfAt(w), dmin = QuantizedDot.HalfAt(w + 2);
            r0 = Q4Block(d, dmin, x0 + offset, a0, Mins(mins, x0 + offset), r0);
            r1 = Q4Block(d, dmin, x1 + offset, a1, Mins(mins, x1 + offset), r1);
            r2 = Q4Block(d, dmin, x2 + offset, a2, Mins(mins, x2 + offset), r2);
            r3 = Q4Block(d, dmin, x3 + offset, a3, Mins(mins, x3 + offset), r3);
        }
        results[0] = Sum(r0);
        results[1] = Sum(r1);
        results[2] = Sum(r2);
        results[3] = Sum(r3);
    }

    /// <summary>Sub-blocks 2·pair and 2·pair+1 against one Q8_K block <paramref name="x"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q4Pair(byte* w, int pair, Vector256<byte> low, Vector256<byte> scales, byte* x)
    {
        Q4Unpack(w, pair, low, scales, out var first, out var second, out var scale1, out var scale2);
        return Q4Pair(first, second, scale1, scale2, x + Q8Quants + pair * 64);
    }

    /// <summary>Sub-blocks 2·pair and 2·pair+1, unpacked once, against four Q8_K blocks.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q4PairX4(byte* w, int pair, Vector256<byte> low, Vector256<byte> scales, byte* x0, byte* x1, byte* x2, byte* x3,
        ref Vector256<int> a0, ref Vector256<int> a1, ref Vector256<int> a2, ref Vector256<int> a3)
    {
        Q4Unpack(w, pair, low, scales, out var first, out var second, out var scale1, out var scale2);
        var q = Q8Quants + pair * 64;
        a0 += Q4Pair(first, second, scale1, scale2, x0 + q);
        a1 += Q4Pair(first, second, scale1, scale2, x1 + q);
        a2 += Q4Pair(first, second, scale1, scale2, x2 + q);
        a3 += Q4Pair(first, second, scale1, scale2, x3 + q);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q4Pair(Vector256<byte> first, Vector256<byte> second, Vector256<short> scale1, Vector256<short> scale2, byte* q8) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(first, Avx.LoadVector256((sbyte*)q8)), scale1) +
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(second, Avx.LoadVector256((sbyte*)(q8 + 32))), scale2);

    /// <summary>
    /// Adds a block to the eight float lanes: its integer sums at d·d8, then its min corrections (lane j: sub-block j's)
    /// at −dmin·d8, each one fused multiply-add, as llama.cpp accumulates K-quant blocks; no horizontal work per block.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Q4Block(float d, float dmin, byte* x, Vector256<int> sums, Vector256<int> mins, Vector256<float> acc)
    {
        var yd = Unsafe.ReadUnaligned<float>(x);
        acc = Fma.MultiplyAdd(Vector256.Create(d * yd), Avx.ConvertToVector256Single(sums), acc);
        return Fma.MultiplyAdd(Vector256.Create(-(dmin * yd)), Avx.ConvertToVector256Single(mins), acc);
    }

    /// <summary>One Q6_K row against four Q8_K vectors (prefill), each block unpacked once; results equal <see cref="Q6_K"/>'s.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Q6_Kx4(byte* w, int blocks, byte* x, int stride, float* results)
    {
        Vector256<float> r0 = default, r1 = default, r2 = default, r3 = default;
        var low = Vector256.Create((byte)0x0F);
        var high = Vector256.Create((byte)0x30);
        byte* x0 = x, x1 = x + stride, x2 = x + 2 * stride, x3 = x + 3 * stride;
        for (var b = 0; b < blocks; b++, w += BlockLayouts.Q6_KBytes)
        {
            var scales = Vector256.Create(Sse2.LoadVector128(w + 192));
            Vector256<int> a0 = default, a1 = default, a2 = default, a3 = default;
            var offset = b * BlockLayouts.Q8_KBytes;
            Q6HalfX4(w, 0, low, high, scales, x0 + offset, x1 + offset, x2 + offset, x3 + offset, ref a0, ref a1, ref a2, ref a3);
            Q6HalfX4(w, 1, low, high, scales, x0 + offset, x1 + offset, x2 + offset, x3 + offset, ref a0, ref a1, ref a2, ref a3);
            var d = QuantizedDot.HalfAt(w + 208);
            r0 = Q6Block(d, w, x0 + offset, a0, r0);
            r1 = Q6Block(d, w, x1 + offset, a1, r1);
            r2 = Q6Block(d, w, x2 + offset, a2, r2);
            r3 = Q6Block(d, w, x3 + offset, a3, r3);
        }
        results[0] = Sum(r0);
        results[1] = Sum(r1);
        results[2] = Sum(r2);
        results[3] = Sum(r3);
    }

    /// <summary>One half of a Q6_K block, unpacked once, against four Q8_K blocks (unrolled by hand so the shuffle controls are constants).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Q6HalfX4(byte* w, int half, Vector256<byte> low, Vector256<byte> high, Vector256<byte> scales, byte* x0, byte* x1, byte* x2, byte* x3,
        ref Vector256<int> a0, ref Vector256<int> a1, ref Vector256<int> a2, ref Vector256<int> a3)
    {
        Q6Unpack(w, half, low, high, out var q0, out var q1, out var q2, out var q3);
        Vector256<short> s0 = GroupScales(scales, 8 * half), s1 = GroupScales(scales, 8 * half + 2),
            s2 = GroupScales(scales, 8 * half + 4), s3 = GroupScales(scales, 8 * half + 6);
        var q = Q8Quants + half * 128;
        a0 += Q6Half(q0, q1, q2, q3, (sbyte*)(x0 + q), s0, s1, s2, s3);
        a1 += Q6Half(q0, q1, q2, q3, (sbyte*)(x1 + q), s0, s1, s2, s3);
        a2 += Q6Half(q0, q1, q2, q3, (sbyte*)(x2 + q), s0, s1, s2, s3);
        a3 += Q6Half(q0, q1, q2, q3, (sbyte*)(x3 + q), s0, s1, s2, s3);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q6Half(Vector256<byte> q0, Vector256<byte> q1, Vector256<byte> q2, Vector256<byte> q3, sbyte* q8,
        Vector256<short> s0, Vector256<short> s1, Vector256<short> s2, Vector256<short> s3) =>
        Run(q0, q8, s0) + Run(q1, q8 + 32, s1) + Run(q2, q8 + 64, s2) + Run(q3, q8 + 96, s3);

    /// <summary>One half of a Q6_K block: four runs of 32, run k scaled by groups 8·half + 2k (first 16) and 8·half + 2k + 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q6Half(Vector256<byte> q0, Vector256<byte> q1, Vector256<byte> q2, Vector256<byte> q3, sbyte* q8, Vector256<byte> scales, int half) =>
        Run(q0, q8, GroupScales(scales, 8 * half)) + Run(q1, q8 + 32, GroupScales(scales, 8 * half + 2)) +
        Run(q2, q8 + 64, GroupScales(scales, 8 * half + 4)) + Run(q3, q8 + 96, GroupScales(scales, 8 * half + 6));

    /// <summary>
    /// Group <paramref name="g"/>'s signed scale in every 16-bit lane of the low half, group g+1's in the high half:
    /// <c>vpshufb</c> puts the scale byte in each lane's high byte, and an arithmetic shift brings it down signed.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<short> GroupScales(Vector256<byte> scales, int g) =>
        Avx2.ShiftRightArithmetic(Avx2.Shuffle(scales, Vector256.Create(Vector128.Create((ushort)(g << 8)), Vector128.Create((ushort)((g + 1) << 8))).AsByte()).AsInt16(), 8);

    /// <summary>
    /// Σ q·q8 over 32 elements, each half of 16 scaled by its group's scale. The values are stored as q = value + 32;
    /// <see cref="Q6Offset"/> takes the 32s off once per block, so the integer total is Σ scale·(q − 32)·q8 exactly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Run(Vector256<byte> q, sbyte* q8, Vector256<short> scales) =>
        Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(q, Avx.LoadVector256(q8)), scales);

    /// <summary>
    /// What the stored +32 adds to a block's eight integer lanes, 32 · (scale_2j · sum_2j + scale_2j+1 · sum_2j+1) in
    /// lane j with sum_g the Q8_K sum of group g's 16 activations: taken off the eight lanes, their total is
    /// Σ scale·(q − 32)·q8 exactly.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> Q6Offset(byte* w, byte* x)
    {
        var scales = Avx2.ConvertToVector256Int16(Sse2.LoadVector128((sbyte*)(w + 192)));
        return Avx2.ShiftLeftLogical(Avx2.MultiplyAddAdjacent(Avx.LoadVector256((short*)(x + Q8Sums)), scales), 5);
    }
}
