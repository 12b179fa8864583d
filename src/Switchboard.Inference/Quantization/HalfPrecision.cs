using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Switchboard.Inference.Quantization;

/// <summary>
/// Rounding floats to the nearest F16 value while keeping them as floats: how the F16-cache attention reproduces
/// llama.cpp's F16 running accumulator. .NET exposes no F16C conversions, and the software <see cref="Half"/> cast
/// costs more than the arithmetic it rounds, so the vector form does the rounding on the float's bits: round half
/// to even at 10 mantissa bits, multiples of 2^-24 below 2^-14 (F16 subnormals), infinity beyond 65504. It equals
/// <c>(float)(Half)x</c> for every float; the tests check it against that on the edges.
/// </summary>
internal static class HalfPrecision
{
    private const float SmallestNormal = 6.103515625e-05f;    // 2^-14
    private const float Largest = 65504f;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Round(Vector256<float> x)
    {
        var bits = x.AsUInt32();
        var sign = bits & Vector256.Create(0x8000_0000u);
        var magnitude = (bits ^ sign).AsSingle();
        var m = magnitude.AsUInt32();
        var normal = ((m + Vector256.Create(0x0FFFu) + ((m >> 13) & Vector256<uint>.One)) & Vector256.Create(0xFFFF_E000u)).AsSingle();
        // Below 2^-14 F16 steps are 2^-24: adding 0.5, whose float ulp is 2^-24, rounds to that step half to even.
        var half = Vector256.Create(0.5f);
        var subnormal = magnitude + half - half;
        var rounded = Vector256.ConditionalSelect(Vector256.LessThan(magnitude, Vector256.Create(SmallestNormal)), subnormal, normal);
        rounded = Vector256.ConditionalSelect(Vector256.GreaterThan(rounded, Vector256.Create(Largest)), Vector256.Create(float.PositiveInfinity), rounded);
        rounded = Vector256.ConditionalSelect(Vector256.Equals(x, x), rounded, x);    // NaN stays NaN
        return (rounded.AsUInt32() | sign).AsSingle();
    }

    /// <summary><c>destination = f16(source)</c>, element by element (the spans may be the same).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Round(ReadOnlySpan<float> source, Span<float> destination)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i + Vector256<float>.Count <= source.Length; i += Vector256<float>.Count)
                Round(Vector256.Create(source.Slice(i, Vector256<float>.Count))).CopyTo(destination.Slice(i, Vector256<float>.Count));
        }
        for (; i < source.Length; i++) destination[i] = (float)(Half)source[i];
    }

    /// <summary><c>acc = f16(acc · factor)</c>, element by element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Scale(Span<float> acc, float factor)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var f = Vector256.Create(factor);
            var vectors = MemoryMarshal.Cast<float, Vector256<float>>(acc);
            for (var j = 0; j < vectors.Length; j++) vectors[j] = Round(vectors[j] * f);
            i = vectors.Length * Vector256<float>.Count;
        }
        for (; i < acc.Length; i++) acc[i] = (float)(Half)(acc[i] * factor);
    }

    /// <summary><c>acc = f16(v · weight + acc)</c> with one rounding for the fused multiply-add, element by element.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void MultiplyAdd(Span<float> acc, ReadOnlySpan<float> v, float weight)
    {
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            var w = Vector256.Create(weight);
            var vectors = MemoryMarshal.Cast<float, Vector256<float>>(acc);
            var values = MemoryMarshal.Cast<float, Vector256<float>>(v);
            for (var j = 0; j < vectors.Length; j++) vectors[j] = Round(Vector256.FusedMultiplyAdd(values[j], w, vectors[j]));
            i = vectors.Length * Vector256<float>.Count;
        }
        for (; i < acc.Length; i++) acc[i] = (float)(Half)MathF.FusedMultiplyAdd(v[i], weight, acc[i]);
    }
}
