using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Switchboard.Inference.Models;

/// <summary>
/// The two halves of one head's attention over an F32 cache, blocked so that partial results stay in registers:
/// scores against keys stored transposed (one row per head dimension, one column per position), then the
/// probability-weighted sum of value rows. Vector lanes and the scalar tails do the same arithmetic per element.
/// </summary>
internal static class AttentionKernels
{
    /// <summary>
    /// <c>scores[t] = scale · Σ_d q[d]·keys[d·stride + t]</c> for <c>t &lt; count</c>: 32 positions at a time, each
    /// summed over d with fused multiply-adds.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scores(ReadOnlySpan<float> q, ReadOnlySpan<float> keys, int stride, int count, float scale, Span<float> scores)
    {
        var dims = q.Length;
        ref var k = ref MemoryMarshal.GetReference(keys);
        ref var s = ref MemoryMarshal.GetReference(scores);
        var t = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var scaleV = Vector256.Create(scale);
            for (; t + 32 <= count; t += 32)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (var d = 0; d < dims; d++)
                {
                    var qd = Vector256.Create(q[d]);
                    ref var row = ref Unsafe.Add(ref k, d * stride + t);
                    a0 = Vector256.FusedMultiplyAdd(qd, Vector256.LoadUnsafe(ref row), a0);
                    a1 = Vector256.FusedMultiplyAdd(qd, Vector256.LoadUnsafe(ref row, 8), a1);
                    a2 = Vector256.FusedMultiplyAdd(qd, Vector256.LoadUnsafe(ref row, 16), a2);
                    a3 = Vector256.FusedMultiplyAdd(qd, Vector256.LoadUnsafe(ref row, 24), a3);
                }
                (a0 * scaleV).StoreUnsafe(ref s, (nuint)t);
                (a1 * scaleV).StoreUnsafe(ref s, (nuint)(t + 8));
                (a2 * scaleV).StoreUnsafe(ref s, (nuint)(t + 16));
                (a3 * scaleV).StoreUnsafe(ref s, (nuint)(t + 24));
            }
            for (; t + 8 <= count; t += 8)
            {
                var a = Vector256<float>.Zero;
                for (var d = 0; d < dims; d++) a = Vector256.FusedMultiplyAdd(Vector256.Create(q[d]), Vector256.LoadUnsafe(ref k, (nuint)(d * stride + t)), a);
                (a * scaleV).StoreUnsafe(ref s, (nuint)t);
            }
        }
        for (; t < count; t++)
        {
            var sum = 0f;
            for (var d = 0; d < dims; d++) sum = MathF.FusedMultiplyAdd(q[d], Unsafe.Add(ref k, d * stride + t), sum);
            scores[t] = sum * scale;
        }
    }

    /// <summary>
    /// <c>output = Σ_t (weights[t]·factor)·values[t·stride ..]</c> over <c>t &lt; count</c>, in order of t, each term a
    /// multiply then an add: 32 output elements at a time accumulate in registers.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void WeightedSum(ReadOnlySpan<float> weights, float factor, ReadOnlySpan<float> values, int stride, int count, Span<float> output)
    {
        var dims = output.Length;
        ref var v = ref MemoryMarshal.GetReference(values);
        ref var o = ref MemoryMarshal.GetReference(output);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + 32 <= dims; i += 32)
            {
                Vector256<float> a0 = default, a1 = default, a2 = default, a3 = default;
                for (var t = 0; t < count; t++)
                {
                    var w = Vector256.Create(weights[t] * factor);
                    ref var row = ref Unsafe.Add(ref v, t * stride + i);
                    a0 += w * Vector256.LoadUnsafe(ref row);
                    a1 += w * Vector256.LoadUnsafe(ref row, 8);
                    a2 += w * Vector256.LoadUnsafe(ref row, 16);
                    a3 += w * Vector256.LoadUnsafe(ref row, 24);
                }
                a0.StoreUnsafe(ref o, (nuint)i);
                a1.StoreUnsafe(ref o, (nuint)(i + 8));
                a2.StoreUnsafe(ref o, (nuint)(i + 16));
                a3.StoreUnsafe(ref o, (nuint)(i + 24));
            }
            for (; i + 8 <= dims; i += 8)
            {
                var a = Vector256<float>.Zero;
                for (var t = 0; t < count; t++) a += Vector256.Create(weights[t] * factor) * Vector256.LoadUnsafe(ref v, (nuint)(t * stride + i));
                a.StoreUnsafe(ref o, (nuint)i);
            }
        }
        for (; i < dims; i++)
        {
            var sum = 0f;
            for (var t = 0; t < count; t++) sum += weights[t] * factor * Unsafe.Add(ref v, t * stride + i);
            output[i] = sum;
        }
    }
}
