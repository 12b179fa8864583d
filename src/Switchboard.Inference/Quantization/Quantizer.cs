using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Switchboard.Inference.Quantization;

#pragma warning disable CA1707 // ggml's format names

/// <summary>
/// Quantises rows the way ggml does — weights when a model is quantised, activations before a quantised dot product: Q8_0 (per 32: d = max|x|/127 stored as
/// F16, q = round-half-away(x/d)) for Q8_0/Q4_0 weights, Q8_K (per 256: d from the signed extreme so it maps to
/// -127, round-half-even, plus sums per 16) for K-quant weights.
/// </summary>
public static class Quantizer
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToQ8_0(ReadOnlySpan<float> x, Span<byte> output)
    {
        for (var b = 0; b < x.Length / BlockLayouts.Q8_0Elements; b++)
        {
            var block = x.Slice(b * 32, 32);
            var o = output.Slice(b * BlockLayouts.Q8_0Bytes, BlockLayouts.Q8_0Bytes);
            var amax = 0f;
            foreach (var v in block) amax = MathF.Max(amax, MathF.Abs(v));
            var d = amax / 127f;
            var id = d != 0 ? 1f / d : 0f;
            MemoryMarshal.Write(o, (Half)d);
            for (var j = 0; j < 32; j++) o[2 + j] = (byte)(sbyte)MathF.Round(block[j] * id, MidpointRounding.AwayFromZero);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void ToQ8_K(ReadOnlySpan<float> x, Span<byte> output)
    {
        for (var b = 0; b < x.Length / BlockLayouts.KElements; b++)
        {
            var block = x.Slice(b * 256, 256);
            var o = output.Slice(b * BlockLayouts.Q8_KBytes, BlockLayouts.Q8_KBytes);
            float max = 0, amax = 0;
            foreach (var v in block)
            {
                if (MathF.Abs(v) > amax)
                {
                    amax = MathF.Abs(v);
                    max = v;
                }
            }
            var qs = MemoryMarshal.Cast<byte, sbyte>(o.Slice(4, 256));
            var bsums = MemoryMarshal.Cast<byte, short>(o.Slice(4 + 256, 32));
            if (amax == 0)
            {
                o.Clear();
                continue;
            }
            var iscale = -127f / max;
            for (var j = 0; j < 256; j++) qs[j] = (sbyte)Math.Min(127, (int)MathF.Round(iscale * block[j], MidpointRounding.ToEven));
            for (var j = 0; j < 16; j++)
            {
                var sum = 0;
                for (var i = 0; i < 16; i++) sum += qs[j * 16 + i];
                bsums[j] = (short)sum;
            }
            MemoryMarshal.Write(o, 1f / iscale);
        }
    }
}
