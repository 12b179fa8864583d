using System.Runtime.InteropServices;
using Switchboard.Inference.Quantization;

namespace Switchboard.Inference.Tests.Quantization;

[Collection(SimdSwitch.Name)]
public sealed unsafe class QuantizedDotTests
{
    private delegate void Dequantize(ReadOnlySpan<byte> blocks, Span<float> y);
    private delegate float Dot(ReadOnlySpan<byte> w, ReadOnlySpan<byte> x, int blocks);

    private static byte[] RandomBlocks(Random random, int blocks, int blockBytes, params int[] halfOffsets)
    {
        var bytes = new byte[blocks * blockBytes];
        random.NextBytes(bytes);
        for (var b = 0; b < blocks; b++)
        {
            // Deltas are sane halves (random bits would include NaN and infinities).
            foreach (var offset in halfOffsets)
                MemoryMarshal.Write(bytes.AsSpan(b * blockBytes + offset), (Half)(0.001 + random.NextDouble() * 0.05));
        }
        return bytes;
    }

    private static float[] RandomActivations(Random random, int n) =>
        Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 4 - 2)).ToArray();

    private static void AssertMatchesReference(int elements, int blockElements, byte[] weights, Dequantize dequantizeWeights,
        byte[] activations, Dequantize dequantizeActivations, Dot dot, string what)
    {
        var w = new float[elements];
        var a = new float[elements];
        dequantizeWeights(weights, w);
        dequantizeActivations(activations, a);
        double reference = 0, magnitude = 0;
        for (var i = 0; i < elements; i++)
        {
            reference += (double)w[i] * a[i];
            magnitude += Math.Abs((double)w[i] * a[i]);
        }
        foreach (var simd in new[] { false, true })
        {
            QuantizedDot.AllowSimd = simd;
            try
            {
                var actual = dot(weights, activations, elements / blockElements);
                Assert.True(Math.Abs(actual - reference) <= 1e-5 * magnitude + 1e-6,
                    $"{what} (simd {simd}): {actual} vs reference {reference} (scale {magnitude})");
            }
            finally
            {
                QuantizedDot.AllowSimd = true;
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Q8_0_and_Q4_0_match_the_dequantised_reference(int seed)
    {
        var random = new Random(seed);
        const int n = 32 * 24;
        var x = RandomActivations(random, n);
        var xq = new byte[n / 32 * BlockLayouts.Q8_0Bytes];
        Quantizer.ToQ8_0(x, xq);

        AssertMatchesReference(n, 32, RandomBlocks(random, n / 32, BlockLayouts.Q8_0Bytes, 0), Dequantizer.Q8_0,
            xq, Dequantizer.Q8_0, QuantizedDot.Q8_0, "Q8_0");
        AssertMatchesReference(n, 32, RandomBlocks(random, n / 32, BlockLayouts.Q4_0Bytes, 0), Dequantizer.Q4_0,
            xq, Dequantizer.Q8_0, QuantizedDot.Q4_0, "Q4_0");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Q4_K_and_Q6_K_match_the_dequantised_reference(int seed)
    {
        var random = new Random(seed);
        const int n = 256 * 4;
        var x = RandomActivations(random, n);
        var xq = new byte[n / 256 * BlockLayouts.Q8_KBytes];
        Quantizer.ToQ8_K(x, xq);

        AssertMatchesReference(n, 256, RandomBlocks(random, n / 256, BlockLayouts.Q4_KBytes, 0, 2), Dequantizer.Q4_K,
            xq, Dequantizer.Q8_K, QuantizedDot.Q4_K, "Q4_K");
        AssertMatchesReference(n, 256, RandomBlocks(random, n / 256, BlockLayouts.Q6_KBytes, 208), Dequantizer.Q6_K,
            xq, Dequantizer.Q8_K, QuantizedDot.Q6_K, "Q6_K");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void K_quant_simd_paths_equal_the_scalar_ones_bit_for_bit(int seed)
    {
        var random = new Random(seed);
        const int n = 256 * 6;
        var xq = new byte[n / 256 * BlockLayouts.Q8_KBytes];
        Quantizer.ToQ8_K(RandomActivations(random, n), xq);
        var q4k = RandomBlocks(random, n / 256, BlockLayouts.Q4_KBytes, 0, 2);
        var q6k = RandomBlocks(random, n / 256, BlockLayouts.Q6_KBytes, 208);
        float Run(bool simd, Func<float> dot)
        {
            QuantizedDot.AllowSimd = simd;
            try
            {
                return dot();
            }
            finally
            {
                QuantizedDot.AllowSimd = true;
            }
        }
        Assert.Equal(Run(false, () => QuantizedDot.Q4_K(q4k, xq, n / 256)), Run(true, () => QuantizedDot.Q4_K(q4k, xq, n / 256)));
        Assert.Equal(Run(false, () => QuantizedDot.Q6_K(q6k, xq, n / 256)), Run(true, () => QuantizedDot.Q6_K(q6k, xq, n / 256)));
    }

    [Fact]
    public void K_quant_four_vector_kernels_equal_the_one_vector_ones_bit_for_bit()
    {
        if (!QuantizedDot.UseAvx2) return;    // the four-vector kernels are AVX2 only and never used without it
        var random = new Random(12);
        const int n = 256 * 3;
        var perVector = n / 256 * BlockLayouts.Q8_KBytes;
        var xs = new byte[4 * perVector];
        for (var t = 0; t < 4; t++) Quantizer.ToQ8_K(RandomActivations(random, n), xs.AsSpan(t * perVector, perVector));
        var q4k = RandomBlocks(random, n / 256, BlockLayouts.Q4_KBytes, 0, 2);
        var q6k = RandomBlocks(random, n / 256, BlockLayouts.Q6_KBytes, 208);
        var four = new float[4];
        fixed (byte* x = xs, w4 = q4k, w6 = q6k)
        fixed (float* f = four)
        {
            KQuantAvx2.Q4_Kx4(w4, n / 256, x, perVector, f);
            for (var t = 0; t < 4; t++) Assert.Equal(QuantizedDot.Q4_K(q4k, xs.AsSpan(t * perVector, perVector), n / 256), four[t]);
            KQuantAvx2.Q6_Kx4(w6, n / 256, x, perVector, f);
            for (var t = 0; t < 4; t++) Assert.Equal(QuantizedDot.Q6_K(q6k, xs.AsSpan(t * perVector, perVector), n / 256), four[t]);
        }
        Assert.All(four, v => Assert.NotEqual(0f, v));
    }

    [Fact]
    public void Activation_quantisers_round_trip_within_half_a_step()
    {
        var x = RandomActivations(new Random(9), 512);
        var q8_0 = new byte[512 / 32 * BlockLayouts.Q8_0Bytes];
        var q8_k = new byte[512 / 256 * BlockLayouts.Q8_KBytes];
        Quantizer.ToQ8_0(x, q8_0);
        Quantizer.ToQ8_K(x, q8_k);
        var back0 = new float[512];
        var backK = new float[512];
        Dequantizer.Q8_0(q8_0, back0);
        Dequantizer.Q8_K(q8_k, backK);
        for (var i = 0; i < 512; i++)
        {
            var step0 = (float)MemoryMarshal.Read<Half>(q8_0.AsSpan(i / 32 * BlockLayouts.Q8_0Bytes));
            var stepK = Math.Abs(MemoryMarshal.Read<float>(q8_k.AsSpan(i / 256 * BlockLayouts.Q8_KBytes)));
            Assert.InRange(Math.Abs(back0[i] - x[i]), 0, step0 * 0.5f + 1e-3f);
            Assert.InRange(Math.Abs(backK[i] - x[i]), 0, stepK * 0.5f + 1e-6f);
        }
        // Q8_K's block sums are what the K-quant dots subtract mins with.
        var bsums = MemoryMarshal.Cast<byte, short>(q8_k.AsSpan(260, 32));
        var qs = MemoryMarshal.Cast<byte, sbyte>(q8_k.AsSpan(4, 256));
        for (var g = 0; g < 16; g++)
        {
            var sum = 0;
            for (var i = 0; i < 16; i++) sum += qs[g * 16 + i];
            Assert.Equal(sum, bsums[g]);
        }
    }
}
