using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Switchboard.Inference.Quantization;

namespace Switchboard.Inference.Tests.Quantization;

/// <summary>A fact that needs AVX-VNNI; reported as skipped, with the reason, on a CPU without it.</summary>
public sealed class VnniFactAttribute : FactAttribute
{
    public VnniFactAttribute()
    {
        if (!AvxVnni.IsSupported) Skip = "This CPU has no AVX-VNNI; the VNNI kernels cannot run here.";
    }
}

[Collection(SimdSwitch.Name)]
public sealed unsafe class VnniDotTests
{
    private const int Columns = 32 * 18;
    private const int Blocks = Columns / 32;

    private static float[] Activations(Random random) =>
        Enumerable.Range(0, Columns).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();

    private static byte[] WeightRow(Random random, int blockBytes)
    {
        var bytes = new byte[Blocks * blockBytes];
        random.NextBytes(bytes);
        for (var b = 0; b < Blocks; b++) MemoryMarshal.Write(bytes.AsSpan(b * blockBytes), (Half)(0.001 + random.NextDouble() * 0.05));
        return bytes;
    }

    [VnniFact]
    public void Q8_0_and_Q4_0_rows_equal_the_avx2_dot_products_bit_for_bit()
    {
        var random = new Random(11);
        var vectors = Enumerable.Range(0, 5).Select(_ => Activations(random)).ToArray();
        // The same activations in both layouts: ggml's blocks for the AVX2 kernels, offset quants + scales for VNNI.
        var blocks = vectors.Select(v =>
        {
            var q = new byte[Blocks * BlockLayouts.Q8_0Bytes];
            ActivationQuantizer.ToQ8_0(v, q);
            return q;
        }).ToArray();
        var quants = new byte[vectors.Length * Columns];
        var scales = new float[vectors.Length * Blocks];
        for (var t = 0; t < vectors.Length; t++)
            ActivationQuantizer.ToOffsetQ8_0(vectors[t], quants.AsSpan(t * Columns, Columns), scales.AsSpan(t * Blocks, Blocks));

        foreach (var q4 in new[] { false, true })
        {
            var row = WeightRow(random, q4 ? BlockLayouts.Q4_0Bytes : BlockLayouts.Q8_0Bytes);
            var expected = blocks.Select(x => q4 ? QuantizedDot.Q4_0(row, x, Blocks) : QuantizedDot.Q8_0(row, x, Blocks)).ToArray();
            var four = new float[4];
            var one = new float[vectors.Length];
            fixed (byte* w = row, u = quants)
            fixed (float* s = scales, f = four)
            {
                if (q4) VnniDot.Four<VnniDot.Q4_0Blocks>(w, Blocks, u, s, Columns, f);
                else VnniDot.Four<VnniDot.Q8_0Blocks>(w, Blocks, u, s, Columns, f);
                for (var t = 0; t < vectors.Length; t++)
                {
                    one[t] = q4
                        ? VnniDot.One<VnniDot.Q4_0Blocks>(w, Blocks, u + t * Columns, s + t * Blocks)
                        : VnniDot.One<VnniDot.Q8_0Blocks>(w, Blocks, u + t * Columns, s + t * Blocks);
                }
            }
            Assert.All(expected, e => Assert.NotEqual(0f, e));    // equal zeros would prove nothing
            // And against the dequantise-then-F32 reference directly.
            var weights = new float[Columns];
            var activations = new float[Columns];
            if (q4) Dequantizer.Q4_0(row, weights);
            else Dequantizer.Q8_0(row, weights);
            for (var t = 0; t < vectors.Length; t++)
            {
                Dequantizer.Q8_0(blocks[t], activations);
                double reference = 0, magnitude = 0;
                for (var i = 0; i < Columns; i++)
                {
                    reference += (double)weights[i] * activations[i];
                    magnitude += Math.Abs((double)weights[i] * activations[i]);
                }
                Assert.True(Math.Abs(one[t] - reference) <= 1e-5 * magnitude + 1e-6, $"vector {t}: {one[t]} vs {reference}");
            }
            Assert.Equal(expected[..4], four);
            Assert.Equal(expected, one);
        }
    }
}
