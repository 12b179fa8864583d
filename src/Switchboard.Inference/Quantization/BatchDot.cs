using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Switchboard.Inference.Quantization;

#pragma warning disable CA1707 // ggml's format names

/// <summary>
/// Q8_0 / Q4_0 weight rows against a batch of activations in the split layout
/// (<see cref="ActivationQuantizer.ToSplitQ8_0"/>: signed quants back to back, block scales as floats), four vectors
/// per weight row so each weight block is loaded and prepared once for four. With AVX-512BW two blocks go through
/// each instruction (Zen 5 runs 512-bit work at full width; in place this measured 1.1× the 256-bit kernel); otherwise AVX2, with
/// <c>vpdpbusd</c> for the integer sums where AVX-VNNI exists. Every path takes even blocks into one accumulator and
/// odd blocks into another, as <see cref="QuantizedDot"/>'s single-vector AVX2 kernels do, so batched and
/// one-token products are bit-identical.
/// </summary>
internal static unsafe class BatchDot
{
    public static bool IsSupported => QuantizedDot.UseAvx2;

    private static bool Use512 => QuantizedDot.AllowAvx512 && Avx512BW.IsSupported;

    /// <summary>How a weight format's block becomes 32 signed bytes in activation order.</summary>
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

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<sbyte> Load(byte* block) => QuantizedDot.Q4_0Weights(block);
    }

    /// <summary>One weight row against four vectors whose quants start <paramref name="stride"/> bytes apart (scales <paramref name="blocks"/> floats apart).</summary>
    public static void Four<TBlocks>(byte* w, int blocks, sbyte* quants, float* scales, int stride, float* results) where TBlocks : IWeightBlocks
    {
        if (Use512) Four512<TBlocks>(w, blocks, quants, scales, stride, results);
        else Four256<TBlocks>(w, blocks, quants, scales, stride, results);
    }

    /// <summary>One weight row against one vector (the batch's remainder).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float One<TBlocks>(byte* w, int blocks, sbyte* quants, float* scales) where TBlocks : IWeightBlocks
    {
        Vector256<float> even = default, odd = default;
        var b = 0;
        for (; b + 2 <= blocks; b += 2, w += 2 * TBlocks.Bytes)
        {
            even = Block<TBlocks>(even, w, quants + b * 32, scales[b]);
            odd = Block<TBlocks>(odd, w + TBlocks.Bytes, quants + b * 32 + 32, scales[b + 1]);
        }
        if (b < blocks) even = Block<TBlocks>(even, w, quants + b * 32, scales[b]);
        return QuantizedDot.Sum(even, odd);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Block<TBlocks>(Vector256<float> acc, byte* w, sbyte* x, float dx) where TBlocks : IWeightBlocks
    {
        var weights = TBlocks.Load(w);
        return Accumulate(acc, Avx2.Abs(weights), weights, x, QuantizedDot.HalfAt(w) * dx);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Four256<TBlocks>(byte* w, int blocks, sbyte* quants, float* scales, int stride, float* results) where TBlocks : IWeightBlocks
    {
        Vector256<float> e0 = default, e1 = default, e2 = default, e3 = default, o0 = default, o1 = default, o2 = default, o3 = default;
        sbyte* q0 = quants, q1 = quants + stride, q2 = quants + 2 * stride, q3 = quants + 3 * stride;
        float* s0 = scales, s1 = scales + blocks, s2 = scales + 2 * blocks, s3 = scales + 3 * blocks;
        var b = 0;
        for (; b + 2 <= blocks; b += 2, w += 2 * TBlocks.Bytes)
        {
            var weights = TBlocks.Load(w);
            var magnitude = Avx2.Abs(weights);
            var dw = QuantizedDot.HalfAt(w);
            var q = b * 32;
            e0 = Accumulate(e0, magnitude, weights, q0 + q, dw * s0[b]);
            e1 = Accumulate(e1, magnitude, weights, q1 + q, dw * s1[b]);
            e2 = Accumulate(e2, magnitude, weights, q2 + q, dw * s2[b]);
            e3 = Accumulate(e3, magnitude, weights, q3 + q, dw * s3[b]);
            weights = TBlocks.Load(w + TBlocks.Bytes);
            magnitude = Avx2.Abs(weights);
            dw = QuantizedDot.HalfAt(w + TBlocks.Bytes);
            q += 32;
            o0 = Accumulate(o0, magnitude, weights, q0 + q, dw * s0[b + 1]);
            o1 = Accumulate(o1, magnitude, weights, q1 + q, dw * s1[b + 1]);
            o2 = Accumulate(o2, magnitude, weights, q2 + q, dw * s2[b + 1]);
            o3 = Accumulate(o3, magnitude, weights, q3 + q, dw * s3[b + 1]);
        }
        if (b < blocks) (e0, e1, e2, e3) = LastBlock<TBlocks>(w, b, quants, scales, blocks, stride, new(e0, e1, e2, e3));
        results[0] = QuantizedDot.Sum(e0, o0);
        results[1] = QuantizedDot.Sum(e1, o1);
        results[2] = QuantizedDot.Sum(e2, o2);
        results[3] = QuantizedDot.Sum(e3, o3);
    }

    private readonly record struct Accumulators(Vector256<float> A0, Vector256<float> A1, Vector256<float> A2, Vector256<float> A3);

    // An odd block count's last block, into the even accumulators: once per call, so not inlined — and passed by
    // value, because refs to the callers' accumulators would keep them out of registers in the hot loop.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Accumulators LastBlock<TBlocks>(byte* w, int b, sbyte* quants, float* scales, int blocks, int stride, Accumulators even)
        where TBlocks : IWeightBlocks
    {
        var weights = TBlocks.Load(w);
        var magnitude = Avx2.Abs(weights);
        var dw = QuantizedDot.HalfAt(w);
        var q = b * 32;
        return new(
            Accumulate(even.A0, magnitude, weights, quants + q, dw * scales[b]),
            Accumulate(even.A1, magnitude, weights, quants + stride + q, dw * scales[blocks + b]),
            Accumulate(even.A2, magnitude, weights, quants + 2 * stride + q, dw * scales[2 * blocks + b]),
            Accumulate(even.A3, magnitude, weights, quants + 3 * stride + q, dw * scales[3 * blocks + b]));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Accumulate(Vector256<float> acc, Vector256<byte> magnitude, Vector256<sbyte> weights, sbyte* x, float scale)
    {
        var signed = Avx2.Sign(Avx.LoadVector256(x), weights);
        var sums = AvxVnni.IsSupported
            ? AvxVnni.MultiplyWideningAndAdd(Vector256<int>.Zero, magnitude, signed)
            : Avx2.MultiplyAddAdjacent(Avx2.MultiplyAddAdjacent(magnitude, signed), Vector256<short>.One);
        return Fma.MultiplyAdd(Vector256.Create(scale), Avx.ConvertToVector256Single(sums), acc);
    }

    /// <summary>
    /// Two blocks per 512-bit register: block b in the low half (the even accumulator), b+1 in the high half (the
    /// odd one). AVX-512 has no byte sign instruction, so x takes the weights' signs by a masked negation.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Four512<TBlocks>(byte* w, int blocks, sbyte* quants, float* scales, int stride, float* results) where TBlocks : IWeightBlocks
    {
        Vector512<float> a0 = default, a1 = default, a2 = default, a3 = default;
        sbyte* q0 = quants, q1 = quants + stride, q2 = quants + 2 * stride, q3 = quants + 3 * stride;
        float* s0 = scales, s1 = scales + blocks, s2 = scales + 2 * blocks, s3 = scales + 3 * blocks;
        var b = 0;
        for (; b + 2 <= blocks; b += 2, w += 2 * TBlocks.Bytes)
        {
            var weights = Halves(TBlocks.Load(w), TBlocks.Load(w + TBlocks.Bytes));
            var magnitude = Avx512BW.Abs(weights);
            var negative = Vector512.LessThan(weights, Vector512<sbyte>.Zero);
            var dw = Halves(Vector256.Create(QuantizedDot.HalfAt(w)), Vector256.Create(QuantizedDot.HalfAt(w + TBlocks.Bytes)));
            var q = b * 32;
            a0 = Accumulate512(a0, magnitude, negative, q0 + q, dw, s0 + b);
            a1 = Accumulate512(a1, magnitude, negative, q1 + q, dw, s1 + b);
            a2 = Accumulate512(a2, magnitude, negative, q2 + q, dw, s2 + b);
            a3 = Accumulate512(a3, magnitude, negative, q3 + q, dw, s3 + b);
        }
        Vector256<float> e0 = a0.GetLower(), e1 = a1.GetLower(), e2 = a2.GetLower(), e3 = a3.GetLower();
        if (b < blocks) (e0, e1, e2, e3) = LastBlock<TBlocks>(w, b, quants, scales, blocks, stride, new(e0, e1, e2, e3));
        results[0] = QuantizedDot.Sum(e0, a0.GetUpper());
        results[1] = QuantizedDot.Sum(e1, a1.GetUpper());
        results[2] = QuantizedDot.Sum(e2, a2.GetUpper());
        results[3] = QuantizedDot.Sum(e3, a3.GetUpper());
    }

    // Vector512.Create(lower, upper) compiles to two inserts into the previous iteration's register (a false
    // dependency chain through the loop); widening the lower half and inserting the upper one does not.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> Halves<T>(Vector256<T> lower, Vector256<T> upper) =>
        Avx512F.InsertVector256(lower.ToVector512Unsafe().AsSingle(), upper.AsSingle(), 1).As<float, T>();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Accumulate512(Vector512<float> acc, Vector512<byte> magnitude, Vector512<sbyte> negative, sbyte* x,
        Vector512<float> dw, float* dx)
    {
        var values = Vector512.Load(x);
        var signed = Vector512.ConditionalSelect(negative, Vector512<sbyte>.Zero - values, values);
        var sums = Avx512BW.MultiplyAddAdjacent(Avx512BW.MultiplyAddAdjacent(magnitude, signed), Vector512<short>.One);
        // Both blocks' scales in one 8-byte load, spread to eight lanes each.
        var pair = Vector128.CreateScalarUnsafe(*(double*)dx).AsSingle().ToVector256Unsafe().ToVector512Unsafe();
        var scale = dw * Avx512F.PermuteVar16x32(pair, Vector512.Create(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
        return Avx512F.FusedMultiplyAdd(scale, Avx512F.ConvertToVector512Single(sums), acc);
    }
}
