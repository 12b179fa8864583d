using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using Switchboard.Inference.Quantization;

namespace Switchboard.Inference.Tests.Quantization;

[Collection(SimdSwitch.Name)]
public sealed unsafe class BatchDotTests
{
    private static float[] Activations(Random random, int columns) =>
        Enumerable.Range(0, columns).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();

    private static byte[] WeightRow(Random random, int blocks, int blockBytes)
    {
        var bytes = new byte[blocks * blockBytes];
        random.NextBytes(bytes);
        for (var b = 0; b < blocks; b++) MemoryMarshal.Write(bytes.AsSpan(b * blockBytes), (Half)(0.001 + random.NextDouble() * 0.05));
        return bytes;
    }

    // 18 blocks (an even count, SmolLM2's 576) and 19 (an odd one: the last block goes through the tail).
    [Theory]
    [InlineData(18)]
    [InlineData(19)]
    public void Batched_rows_equal_the_one_vector_kernels_bit_for_bit_on_every_path(int blocks)
    {
        if (!BatchDot.IsSupported) return;    // no AVX2: the batched kernels are never used
        var columns = blocks * 32;
        var random = new Random(blocks);
        var vectors = Enumerable.Range(0, 5).Select(_ => Activations(random, columns)).ToArray();
        // The same activations in both layouts: ggml's blocks for the one-vector kernels, split quants + scales for the batch.
        var blockLayout = vectors.Select(v =>
        {
            var q = new byte[blocks * BlockLayouts.Q8_0Bytes];
            ActivationQuantizer.ToQ8_0(v, q);
            return q;
        }).ToArray();
        var quants = new sbyte[vectors.Length * columns];
        var scales = new float[vectors.Length * blocks];
        for (var t = 0; t < vectors.Length; t++)
            ActivationQuantizer.ToSplitQ8_0(vectors[t], quants.AsSpan(t * columns, columns), scales.AsSpan(t * blocks, blocks));

        var widths = Avx512BW.IsSupported ? new[] { true, false } : [false];
        foreach (var q4 in new[] { false, true })
        {
            var row = WeightRow(random, blocks, q4 ? BlockLayouts.Q4_0Bytes : BlockLayouts.Q8_0Bytes);
            var expected = blockLayout.Select(x => q4 ? QuantizedDot.Q4_0(row, x, blocks) : QuantizedDot.Q8_0(row, x, blocks)).ToArray();
            Assert.All(expected, e => Assert.NotEqual(0f, e));    // equal zeros would prove nothing
            foreach (var wide in widths)
            {
                QuantizedDot.AllowAvx512 = wide;
                try
                {
                    var four = new float[4];
                    var one = new float[vectors.Length];
                    fixed (byte* w = row)
                    fixed (sbyte* u = quants)
                    fixed (float* s = scales, f = four)
                    {
                        if (q4) BatchDot.Four<BatchDot.Q4_0Blocks>(w, blocks, u, s, columns, f);
                        else BatchDot.Four<BatchDot.Q8_0Blocks>(w, blocks, u, s, columns, f);
                        for (var t = 0; t < vectors.Length; t++)
                        {
                            one[t] = q4
                                ? BatchDot.One<BatchDot.Q4_0Blocks>(w, blocks, u + t * columns, s + t * blocks)
                                : BatchDot.One<BatchDot.Q8_0Blocks>(w, blocks, u + t * columns, s + t * blocks);
                        }
                    }
                    Assert.Equal(expected[..4], four);
                    Assert.Equal(expected, one);
                }
                finally
                {
                    QuantizedDot.AllowAvx512 = true;
                }
            }

            // And the shared result against the dequantise-then-F32 reference.
            var weights = new float[columns];
            var activations = new float[columns];
            if (q4) Dequantizer.Q4_0(row, weights);
            else Dequantizer.Q8_0(row, weights);
            for (var t = 0; t < vectors.Length; t++)
            {
                Dequantizer.Q8_0(blockLayout[t], activations);
                double reference = 0, magnitude = 0;
                for (var i = 0; i < columns; i++)
                {
                    reference += (double)weights[i] * activations[i];
                    magnitude += Math.Abs((double)weights[i] * activations[i]);
                }
                Assert.True(Math.Abs(expected[t] - reference) <= 1e-5 * magnitude + 1e-6, $"vector {t}: {expected[t]} vs {reference}");
            }
        }
    }
}
