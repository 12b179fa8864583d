using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Switchboard.Inference.Models;

/// <summary>
/// Attention over an F32 cache for the query heads that share one key/value head (grouped-query attention), up
/// to three at a time so each key and value is loaded once for all of them: scores against keys stored transposed
/// (one row per head dimension, one column per position), softmax, then the probability-weighted sum of value rows.
/// Partial results stay in registers. Vector lanes and scalar tails do the same arithmetic per element, and a
/// head's result does not depend on which heads share its pass.
/// </summary>
internal static class AttentionKernels
{
    /// <summary>How many query heads one pass serves; a type so the JIT drops the unused accumulators.</summary>
    public interface IHeads
    {
        static abstract int Count { get; }
    }

    public readonly struct OneHead : IHeads
    {
        public static int Count => 1;
    }

    public readonly struct TwoHeads : IHeads
    {
        public static int Count => 2;
    }

    public readonly struct ThreeHeads : IHeads
    {
        public static int Count => 3;
    }

    /// <summary>
    /// Attention of <typeparamref name="THeads"/> consecutive query heads (<paramref name="queries"/>, head after
    /// head) over positions 0..<paramref name="count"/>-1 into <paramref name="output"/> (head after head).
    /// <paramref name="scores"/> holds one row of <paramref name="scoreStride"/> per head.
    /// </summary>
    public static void Attend<THeads>(ReadOnlySpan<float> queries, ReadOnlySpan<float> keys, int keyStride, ReadOnlySpan<float> values,
        int valueStride, int count, float scale, Span<float> scores, int scoreStride, Span<float> output) where THeads : IHeads
    {
        Scores<THeads>(queries, keys, keyStride, count, scale, scores, scoreStride);
        Span<float> factors = stackalloc float[THeads.Count];
        for (var h = 0; h < THeads.Count; h++)
        {
            var row = scores.Slice(h * scoreStride, count);
            factors[h] = (float)(1.0 / Exponentiate(row, count, Max(row, count)));
        }
        WeightedSum<THeads>(scores, scoreStride, factors, values, valueStride, count, output);
    }

    /// <summary>
    /// <c>scores[h][t] = scale · Σ_d q_h[d]·keys[d·stride + t]</c>: 32 positions at a time, each summed over d with
    /// fused multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Scores<THeads>(ReadOnlySpan<float> queries, ReadOnlySpan<float> keys, int stride, int count, float scale,
        Span<float> scores, int scoreStride) where THeads : IHeads
    {
        var heads = THeads.Count;
        var dims = queries.Length / heads;
        ref var q = ref MemoryMarshal.GetReference(queries);
        ref var k = ref MemoryMarshal.GetReference(keys);
        ref var s = ref MemoryMarshal.GetReference(scores);
        var t = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var scaleV = Vector256.Create(scale);
            for (; t + 32 <= count; t += 32)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
                Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
                for (var d = 0; d < dims; d++)
                {
                    ref var row = ref Unsafe.Add(ref k, d * stride + t);
                    var k0 = Vector256.LoadUnsafe(ref row);
                    var k1 = Vector256.LoadUnsafe(ref row, 8);
                    var k2 = Vector256.LoadUnsafe(ref row, 16);
                    var k3 = Vector256.LoadUnsafe(ref row, 24);
                    var qa = Vector256.Create(Unsafe.Add(ref q, d));
                    a0 = Vector256.FusedMultiplyAdd(qa, k0, a0);
                    a1 = Vector256.FusedMultiplyAdd(qa, k1, a1);
                    a2 = Vector256.FusedMultiplyAdd(qa, k2, a2);
                    a3 = Vector256.FusedMultiplyAdd(qa, k3, a3);
                    if (heads >= 2)
                    {
                        var qb = Vector256.Create(Unsafe.Add(ref q, dims + d));
                        b0 = Vector256.FusedMultiplyAdd(qb, k0, b0);
                        b1 = Vector256.FusedMultiplyAdd(qb, k1, b1);
                        b2 = Vector256.FusedMultiplyAdd(qb, k2, b2);
                        b3 = Vector256.FusedMultiplyAdd(qb, k3, b3);
                    }
                    if (heads >= 3)
                    {
                        var qc = Vector256.Create(Unsafe.Add(ref q, 2 * dims + d));
                        c0 = Vector256.FusedMultiplyAdd(qc, k0, c0);
                        c1 = Vector256.FusedMultiplyAdd(qc, k1, c1);
                        c2 = Vector256.FusedMultiplyAdd(qc, k2, c2);
                        c3 = Vector256.FusedMultiplyAdd(qc, k3, c3);
                    }
                }
                Store(ref s, t, scaleV, a0, a1, a2, a3);
                if (heads >= 2) Store(ref Unsafe.Add(ref s, scoreStride), t, scaleV, b0, b1, b2, b3);
                if (heads >= 3) Store(ref Unsafe.Add(ref s, 2 * scoreStride), t, scaleV, c0, c1, c2, c3);
            }
        }
        for (var h = 0; h < heads; h++)
        {
            for (var p = t; p < count; p++)
            {
                var sum = 0f;
                for (var d = 0; d < dims; d++) sum = MathF.FusedMultiplyAdd(Unsafe.Add(ref q, h * dims + d), Unsafe.Add(ref k, d * stride + p), sum);
                scores[h * scoreStride + p] = sum * scale;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(ref float row, int t, Vector256<float> scale, Vector256<float> a0, Vector256<float> a1, Vector256<float> a2, Vector256<float> a3)
    {
        (a0 * scale).StoreUnsafe(ref row, (nuint)t);
        (a1 * scale).StoreUnsafe(ref row, (nuint)(t + 8));
        (a2 * scale).StoreUnsafe(ref row, (nuint)(t + 16));
        (a3 * scale).StoreUnsafe(ref row, (nuint)(t + 24));
    }

    /// <summary>
    /// <c>output_h = Σ_t (weights[h][t]·factors[h])·values[t·stride ..]</c>, in order of t with fused multiply-adds:
    /// 32 output elements of every head at a time accumulate in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedSum<THeads>(ReadOnlySpan<float> weights, int weightStride, ReadOnlySpan<float> factors, ReadOnlySpan<float> values,
        int stride, int count, Span<float> output) where THeads : IHeads
    {
        var heads = THeads.Count;
        var dims = output.Length / heads;
        ref var w = ref MemoryMarshal.GetReference(weights);
        ref var v = ref MemoryMarshal.GetReference(values);
        ref var o = ref MemoryMarshal.GetReference(output);
        float fa = factors[0], fb = heads >= 2 ? factors[1] : 0, fc = heads >= 3 ? factors[2] : 0;
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= dims; i += 32)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                Vector256<float> b0 = default, b1 = default, b2 = default, b3 = default;
                Vector256<float> c0 = default, c1 = default, c2 = default, c3 = default;
                for (var t = 0; t < count; t++)
                {
                    ref var row = ref Unsafe.Add(ref v, t * stride + i);
                    var v0 = Vector256.LoadUnsafe(ref row);
                    var v1 = Vector256.LoadUnsafe(ref row, 8);
                    var v2 = Vector256.LoadUnsafe(ref row, 16);
                    var v3 = Vector256.LoadUnsafe(ref row, 24);
                    var wa = Vector256.Create(Unsafe.Add(ref w, t) * fa);
                    a0 = Vector256.FusedMultiplyAdd(wa, v0, a0);
                    a1 = Vector256.FusedMultiplyAdd(wa, v1, a1);
                    a2 = Vector256.FusedMultiplyAdd(wa, v2, a2);
                    a3 = Vector256.FusedMultiplyAdd(wa, v3, a3);
                    if (heads >= 2)
                    {
                        var wb = Vector256.Create(Unsafe.Add(ref w, weightStride + t) * fb);
                        b0 = Vector256.FusedMultiplyAdd(wb, v0, b0);
                        b1 = Vector256.FusedMultiplyAdd(wb, v1, b1);
                        b2 = Vector256.FusedMultiplyAdd(wb, v2, b2);
                        b3 = Vector256.FusedMultiplyAdd(wb, v3, b3);
                    }
                    if (heads >= 3)
                    {
                        var wc = Vector256.Create(Unsafe.Add(ref w, 2 * weightStride + t) * fc);
                        c0 = Vector256.FusedMultiplyAdd(wc, v0, c0);
                        c1 = Vector256.FusedMultiplyAdd(wc, v1, c1);
                        c2 = Vector256.FusedMultiplyAdd(wc, v2, c2);
                        c3 = Vector256.FusedMultiplyAdd(wc, v3, c3);
                    }
                }
                Store(ref o, i, Vector256<float>.One, a0, a1, a2, a3);
                if (heads >= 2) Store(ref Unsafe.Add(ref o, dims), i, Vector256<float>.One, b0, b1, b2, b3);
                if (heads >= 3) Store(ref Unsafe.Add(ref o, 2 * dims), i, Vector256<float>.One, c0, c1, c2, c3);
            }
        }
        for (var h = 0; h < heads; h++)
        {
            for (var j = i; j < dims; j++)
            {
                var sum = 0f;
                for (var t = 0; t < count; t++) sum = MathF.FusedMultiplyAdd(weights[h * weightStride + t] * factors[h], Unsafe.Add(ref v, t * stride + j), sum);
                output[h * dims + j] = sum;
            }
        }
    }

    /// <summary>The largest of the first <paramref name="count"/> scores.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static float Max(ReadOnlySpan<float> scores, int count)
    {
        ref var s = ref MemoryMarshal.GetReference(scores);
        var max = float.NegativeInfinity;
        var t = 0;
        if (Vector256.IsHardwareAccelerated && count >= 8)
        {
            var m = Vector256.Create(float.NegativeInfinity);
            for (; t + 8 <= count; t += 8) m = Vector256.Max(m, Vector256.LoadUnsafe(ref s, (nuint)t));
            for (var i = 0; i < 8; i++) max = MathF.Max(max, m[i]);
        }
        for (; t < count; t++) max = MathF.Max(max, scores[t]);
        return max;
    }

    /// <summary>
    /// <c>scores[t] = exp(scores[t] − max)</c> in place, returning their sum in double as ggml's soft_max sums. The
    /// exponential is the vectorised one for every element, tail included, so a score's value never depends on
    /// where it falls in the batch (ggml, too, uses a SIMD approximation here; it is within 2 ulp of MathF.Exp).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static double Exponentiate(Span<float> scores, int count, float max)
    {
        ref var s = ref MemoryMarshal.GetReference(scores);
        var m = Vector256.Create(max);
        var sums = Vector256<double>.Zero;
        var t = 0;
        for (; t + 8 <= count; t += 8)
        {
            var e = Vector256.Exp(Vector256.LoadUnsafe(ref s, (nuint)t) - m);
            e.StoreUnsafe(ref s, (nuint)t);
            var (low, high) = Vector256.Widen(e);
            sums += low + high;
        }
        var sum = Vector256.Sum(sums);
        for (; t < count; t++)
        {
            var e = Vector256.Exp(Vector256.Create(scores[t] - max)).ToScalar();
            scores[t] = e;
            sum += e;
        }
        return sum;
    }
}
