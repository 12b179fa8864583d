using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchboard.Inference.Quantization;

#pragma warning disable CA1707 // ggml's format names

/// <summary>
/// Dot products of one quantised weight row with quantised activations, on the blocks directly: integer sums per
/// block, scaled by both blocks' deltas. Every format has an AVX2 path beside the scalar one (K-quants in
/// <see cref="KQuantAvx2"/>); tests pin both to
/// the dequantise-then-F32 reference.
/// </summary>
internal static unsafe class QuantizedDot
{
    /// <summary>Tests turn the SIMD paths off to compare them with the scalar ones.</summary>
    internal static bool AllowSimd { get; set; } = true;

    /// <summary>Tests turn the 512-bit paths off to compare them with the 256-bit ones.</summary>
    internal static bool AllowAvx512 { get; set; } = true;

    internal static bool UseAvx2 => AllowSimd && Avx2.IsSupported && Fma.IsSupported;

    // Half → float in software costs more than a block's whole integer dot; a 256 KiB table (L2-resident) does not.
    private static readonly float[] HalfTable = Enumerable.Range(0, 65536).Select(i => (float)BitConverter.UInt16BitsToHalf((ushort)i)).ToArray();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float HalfAt(byte* p) => HalfTable[Unsafe.ReadUnaligned<ushort>(p)];

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q8_0(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int blocks)
    {
        fixed (byte* pw = w, px = x)
        {
            return UseAvx2 ? RowAvx2<BatchDot.Q8_0Blocks>(pw, px, blocks) : Q8_0Scalar(pw, px, blocks);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q4_0(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int blocks)
    {
        fixed (byte* pw = w, px = x)
        {
            return UseAvx2 ? RowAvx2<BatchDot.Q4_0Blocks>(pw, px, blocks) : Q4_0Scalar(pw, px, blocks);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Q8_0Scalar(byte* w, byte* x, int blocks)
    {
        var sum = 0f;
        for (var b = 0; b < blocks; b++, w += BlockLayouts.Q8_0Bytes, x += BlockLayouts.Q8_0Bytes)
        {
            var isum = 0;
            for (var j = 0; j < 32; j++) isum += (sbyte)w[2 + j] * (sbyte)x[2 + j];
            sum += isum * ((float)Unsafe.ReadUnaligned<Half>(w) * (float)Unsafe.ReadUnaligned<Half>(x));
        }
        return sum;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Q4_0Scalar(byte* w, byte* x, int blocks)
    {
        var sum = 0f;
        for (var b = 0; b < blocks; b++, w += BlockLayouts.Q4_0Bytes, x += BlockLayouts.Q8_0Bytes)
        {
            var isum = 0;
            for (var j = 0; j < 16; j++)
                isum += ((w[2 + j] & 0xF) - 8) * (sbyte)x[2 + j] + ((w[2 + j] >> 4) - 8) * (sbyte)x[2 + j + 16];
            sum += isum * ((float)Unsafe.ReadUnaligned<Half>(w) * (float)Unsafe.ReadUnaligned<Half>(x));
        }
        return sum;
    }

    /// <summary>One Q8_0 or Q4_0 weight row against one Q8_0 activation vector in ggml's block layout (decode).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float RowAvx2<TBlocks>(byte* w, byte* x, int blocks) where TBlocks : BatchDot.IWeightBlocks
    {
        Vector256<float> even = default, odd = default;
        var b = 0;
        for (; b + 2 <= blocks; b += 2, w += 2 * TBlocks.Bytes, x += 2 * BlockLayouts.Q8_0Bytes)
        {
            even = Block<TBlocks>(even, w, x);
            odd = Block<TBlocks>(odd, w + TBlocks.Bytes, x + BlockLayouts.Q8_0Bytes);
        }
        if (b < blocks) even = Block<TBlocks>(even, w, x);
        return Sum(even, odd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Block<TBlocks>(Vector256<float> acc, byte* w, byte* x) where TBlocks : BatchDot.IWeightBlocks
    {
        var products = SignedBytePairSums(TBlocks.Load(w), Avx.LoadVector256((sbyte*)(x + 2)));
        return Fma.MultiplyAdd(Vector256.Create(HalfAt(w) * HalfAt(x)), Avx.ConvertToVector256Single(products), acc);
    }

    /// <summary>
    /// A Q4_0 block's 32 weights as signed bytes in activation order: low nibbles are elements 0..15, high nibbles
    /// 16..31, each stored offset by 8.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<sbyte> Q4_0Weights(byte* block)
    {
        var packed = Sse2.LoadVector128(block + 2);
        var low = Vector128.Create((byte)0x0F);
        var nibbles = Vector256.Create(packed & low, Sse2.ShiftRightLogical(packed.AsUInt16(), 4).AsByte() & low);
        return Avx2.Subtract(nibbles.AsSByte(), Vector256.Create((sbyte)8));
    }

    /// <summary>
    /// The SIMD Q8_0/Q4_0 kernels keep even and odd blocks in separate accumulators (two dependency chains, and the
    /// layout a 512-bit register of two blocks has) and finish them here, in one order for every path.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static float Sum(Vector256<float> even, Vector256<float> odd) => Vector256.Sum(even + odd);

    /// <summary>
    /// Σ a·b over int8 pairs into eight int32 lanes. maddubs wants unsigned × signed, so |a| meets b with a's sign
    /// (the usual trick); |a| ≤ 128 and |b| ≤ 127 keep the 16-bit pair sums from saturating.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<int> SignedBytePairSums(Vector256<sbyte> a, Vector256<sbyte> b)
    {
        var pairs = Avx2.MultiplyAddAdjacent(Avx2.Abs(a), Avx2.Sign(b, a));
        return Avx2.MultiplyAddAdjacent(pairs, Vector256<short>.One);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q4_K(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int blocks)
    {
        fixed (byte* pw = w, px = x) return UseAvx2 ? KQuantAvx2.Q4_K(pw, px, blocks) : Q4_KScalar(w, x, blocks);
    }

    // Apart from the dispatch above: its stack buffers, zeroed on entry, cost the per-row call more than a block's work.
    private static float Q4_KScalar(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int blocks)
    {
        // Eight float lanes, as the SIMD path keeps them: lane j takes, per block, the integer sum of elements 4j..4j+3
        // of each 32-element sub-block at its scale (scaled by d·d8), then sub-block j's min correction (by −dmin·d8).
        Span<float> acc = stackalloc float[8];
        Span<int> lanes = stackalloc int[8], mins = stackalloc int[8];
        for (var b = 0; b < blocks; b++)
        {
            var wb = w.Slice(b * BlockLayouts.Q4_KBytes, BlockLayouts.Q4_KBytes);
            var xb = x.Slice(b * BlockLayouts.Q8_KBytes, BlockLayouts.Q8_KBytes);
            var yd = MemoryMarshal.Read<float>(xb);
            var q8 = MemoryMarshal.Cast<byte, sbyte>(xb.Slice(4, 256));
            var bsums = MemoryMarshal.Cast<byte, short>(xb.Slice(260, 32));
            var scales = wb.Slice(4, 12);
            var q4 = wb.Slice(16, 128);
            lanes.Clear();
            for (var sub = 0; sub < 8; sub++)
            {
                Dequantizer.ScaleMinK4(sub, scales, out var sc, out var m);
                var chunk = q4.Slice(sub / 2 * 32, 32);
                var shift = sub % 2 * 4;
                for (var l = 0; l < 32; l++) lanes[l / 4] += sc * ((chunk[l] >> shift) & 0xF) * q8[sub * 32 + l];
                mins[sub] = m * (bsums[2 * sub] + bsums[2 * sub + 1]);
            }
            float d = (float)MemoryMarshal.Read<Half>(wb) * yd, dmin = -((float)MemoryMarshal.Read<Half>(wb[2..]) * yd);
            for (var j = 0; j < 8; j++) acc[j] = MathF.FusedMultiplyAdd(d, lanes[j], acc[j]);
            for (var j = 0; j < 8; j++) acc[j] = MathF.FusedMultiplyAdd(dmin, mins[j], acc[j]);
        }
        return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Q6_K(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int blocks)
    {
        fixed (byte* pw = w, px = x) return UseAvx2 ? KQuantAvx2.Q6_K(pw, px, blocks) : Q6_KScalar(w, x, blocks);
    }

    private static float Q6_KScalar(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int blocks)
    {
        // Eight float lanes, as the SIMD path keeps them: lane j takes, per block, the integer sum of elements 4j..4j+3
        // of each 32-element run at its group's scale, with the values as stored (+32), less what the +32 added to
        // groups 2j and 2j+1; then the lane is scaled by d·d8.
        Span<float> acc = stackalloc float[8];
        Span<int> lanes = stackalloc int[8];
        for (var b = 0; b < blocks; b++)
        {
            var wb = w.Slice(b * BlockLayouts.Q6_KBytes, BlockLayouts.Q6_KBytes);
            var xb = x.Slice(b * BlockLayouts.Q8_KBytes, BlockLayouts.Q8_KBytes);
            var q8 = MemoryMarshal.Cast<byte, sbyte>(xb.Slice(4, 256));
            var bsums = MemoryMarshal.Cast<byte, short>(xb.Slice(260, 32));
            var scales = MemoryMarshal.Cast<byte, sbyte>(wb.Slice(192, 16));
            lanes.Clear();
            for (var n = 0; n < 2; n++)
            {
                var ql = wb.Slice(n * 64, 64);
                var qh = wb.Slice(128 + n * 32, 32);
                for (var l = 0; l < 32; l++)
                {
                    int at = n * 128 + l, lane = l / 4, g = n * 8 + l / 16;
                    lanes[lane] += scales[g] * (Dequantizer.Q6(ql[l] & 0xF, qh[l]) + 32) * q8[at];
                    lanes[lane] += scales[g + 2] * (Dequantizer.Q6(ql[l + 32] & 0xF, qh[l] >> 2) + 32) * q8[at + 32];
                    lanes[lane] += scales[g + 4] * (Dequantizer.Q6(ql[l] >> 4, qh[l] >> 4) + 32) * q8[at + 64];
                    lanes[lane] += scales[g + 6] * (Dequantizer.Q6(ql[l + 32] >> 4, qh[l] >> 6) + 32) * q8[at + 96];
                }
            }
            var d = (float)MemoryMarshal.Read<Half>(wb[208..]) * MemoryMarshal.Read<float>(xb);
            for (var j = 0; j < 8; j++)
            {
                var offset = 32 * (scales[2 * j] * bsums[2 * j] + scales[2 * j + 1] * bsums[2 * j + 1]);
                acc[j] = MathF.FusedMultiplyAdd(d, lanes[j] - offset, acc[j]);
            }
        }
        return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
    }
}
