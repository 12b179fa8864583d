using System.Runtime.InteropServices;
using Switchboard.Inference.Quantization;

namespace Switchboard.Inference.Tests.Quantization;

[Collection(SimdSwitch.Name)]
public sealed class ActivationQuantizerTests
{
    private static byte[] Blocks(float[] x, bool simd)
    {
        var blocks = new byte[x.Length / 32 * BlockLayouts.Q8_0Bytes];
        QuantizedDot.AllowSimd = simd;
        try
        {
            ActivationQuantizer.ToQ8_0(x, blocks);
        }
        finally
        {
            QuantizedDot.AllowSimd = true;
        }
        return blocks;
    }

    [Fact]
    public void Rounds_half_to_even_against_127_over_the_block_maximum_as_llama_cpp_on_x86_does()
    {
        // max|x| = 127 makes the multiplier exactly 1, so the rounding rule is all that decides.
        var x = new float[32];
        x[0] = 127f;
        float[] halves = [0.5f, 1.5f, 2.5f, -0.5f, -1.5f, -2.5f, 3.49f, -3.51f];
        int[] expected = [0, 2, 2, 0, -2, -2, 3, -4];
        halves.CopyTo(x, 1);
        foreach (var simd in new[] { false, true })
        {
            var block = Blocks(x, simd);
            Assert.Equal(1f, (float)MemoryMarshal.Read<Half>(block));
            Assert.Equal(127, (sbyte)block[2]);
            for (var i = 0; i < expected.Length; i++) Assert.Equal(expected[i], (sbyte)block[3 + i]);
        }
    }

    [Fact]
    public void Simd_and_scalar_paths_write_the_same_bytes_and_both_layouts_hold_the_same_values()
    {
        var random = new Random(4);
        var x = Enumerable.Range(0, 32 * 40).Select(_ => (float)((random.NextDouble() - 0.5) * Math.Pow(10, random.Next(-3, 3)))).ToArray();
        x.AsSpan(64, 32).Clear();    // an all-zero block quantises to zeros with d = 0
        var simd = Blocks(x, simd: true);
        Assert.Equal(Blocks(x, simd: false), simd);

        var quants = new sbyte[x.Length];
        var scales = new float[x.Length / 32];
        ActivationQuantizer.ToSplitQ8_0(x, quants, scales);
        for (var b = 0; b < scales.Length; b++)
        {
            Assert.Equal((float)MemoryMarshal.Read<Half>(simd.AsSpan(b * BlockLayouts.Q8_0Bytes)), scales[b]);
            for (var j = 0; j < 32; j++) Assert.Equal((sbyte)simd[b * BlockLayouts.Q8_0Bytes + 2 + j], quants[b * 32 + j]);
        }
        Assert.All(simd.AsSpan(2 * BlockLayouts.Q8_0Bytes, BlockLayouts.Q8_0Bytes).ToArray(), b => Assert.Equal(0, b));
    }
}
