using Switchboard.Inference.Models;

namespace Switchboard.Inference.Tests.Models;

public sealed class AttentionKernelsTests
{
    private const int KeyStride = 101, ValueStride = 70;

    private static (float[] Queries, float[] Keys, float[] Values) Inputs(int heads, int dims, int count)
    {
        var random = new Random(heads * 10000 + dims * 100 + count);
        float Next() => (float)(random.NextDouble() * 2 - 1);
        return (Enumerable.Range(0, heads * dims).Select(_ => Next()).ToArray(),
            Enumerable.Range(0, dims * KeyStride).Select(_ => Next()).ToArray(),      // [dim][position]
            Enumerable.Range(0, count * ValueStride).Select(_ => Next()).ToArray());  // [position][dim]
    }

    private static float[] Run(int heads, float[] queries, float[] keys, float[] values, int dims, int count)
    {
        var scores = new float[3 * count];
        var output = new float[heads * dims];
        switch (heads)
        {
            case 3: AttentionKernels.Attend<AttentionKernels.ThreeHeads>(queries, keys, KeyStride, values, ValueStride, count, 0.125f, scores, count, output); break;
            case 2: AttentionKernels.Attend<AttentionKernels.TwoHeads>(queries, keys, KeyStride, values, ValueStride, count, 0.125f, scores, count, output); break;
            default: AttentionKernels.Attend<AttentionKernels.OneHead>(queries, keys, KeyStride, values, ValueStride, count, 0.125f, scores, count, output); break;
        }
        return output;
    }

    // Dimensions and positions that cross every path: 32-wide register blocks and the scalar tails.
    [Theory]
    [InlineData(3, 64, 77)]
    [InlineData(2, 8, 45)]
    [InlineData(1, 40, 3)]
    public void Grouped_heads_attend_as_a_plain_double_softmax_does(int heads, int dims, int count)
    {
        var (queries, keys, values) = Inputs(heads, dims, count);
        var output = Run(heads, queries, keys, values, dims, count);
        for (var h = 0; h < heads; h++)
        {
            var scores = new double[count];
            for (var t = 0; t < count; t++)
            {
                for (var d = 0; d < dims; d++) scores[t] += (double)queries[h * dims + d] * keys[d * KeyStride + t];
                scores[t] *= 0.125;
            }
            var max = scores.Max();
            var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
            var sum = weights.Sum();
            for (var i = 0; i < dims; i++)
            {
                double expected = 0;
                for (var t = 0; t < count; t++) expected += weights[t] / sum * values[t * ValueStride + i];
                Assert.Equal(expected, output[h * dims + i], 1e-5);
            }
        }
    }

    [Fact]
    public void A_heads_result_does_not_depend_on_which_heads_share_its_pass()
    {
        const int dims = 64, count = 70;
        var (queries, keys, values) = Inputs(3, dims, count);
        var together = Run(3, queries, keys, values, dims, count);
        for (var h = 0; h < 3; h++)
        {
            var alone = Run(1, queries[(h * dims)..((h + 1) * dims)], keys, values, dims, count);
            Assert.Equal(alone, together[(h * dims)..((h + 1) * dims)]);
        }
    }
}
