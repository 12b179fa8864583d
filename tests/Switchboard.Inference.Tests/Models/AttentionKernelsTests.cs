using Switchboard.Inference.Models;

namespace Switchboard.Inference.Tests.Models;

public sealed class AttentionKernelsTests
{
    // Lengths that cross every path: 32-wide blocks, 8-wide vectors and the scalar tail.
    [Theory]
    [InlineData(64, 77)]
    [InlineData(8, 45)]
    [InlineData(12, 3)]
    public void Scores_and_weighted_sums_match_a_plain_double_reference(int dims, int count)
    {
        var random = new Random(dims * 1000 + count);
        float Next() => (float)(random.NextDouble() * 2 - 1);
        const int stride = 101;
        var q = Enumerable.Range(0, dims).Select(_ => Next()).ToArray();
        var keys = Enumerable.Range(0, dims * stride).Select(_ => Next()).ToArray();     // [dim][position]
        var scores = new float[count];
        AttentionKernels.Scores(q, keys, stride, count, 0.125f, scores);
        for (var t = 0; t < count; t++)
        {
            double expected = 0;
            for (var d = 0; d < dims; d++) expected += (double)q[d] * keys[d * stride + t];
            Assert.Equal(expected * 0.125, scores[t], 1e-5);
        }

        var values = Enumerable.Range(0, count * stride).Select(_ => Next()).ToArray();   // [position][dim]
        var output = new float[dims];
        AttentionKernels.WeightedSum(scores, 0.5f, values, stride, count, output);
        for (var i = 0; i < dims; i++)
        {
            double expected = 0;
            for (var t = 0; t < count; t++) expected += (double)scores[t] * 0.5 * values[t * stride + i];
            Assert.Equal(expected, output[i], 1e-4);
        }
    }
}
