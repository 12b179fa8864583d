using Switchboard.Inference.Sampling;

namespace Switchboard.Inference.Tests.Sampling;

public sealed class NucleusTests
{
    /// <summary>What top-p then min-p keep when the whole vocabulary is sorted first (the chain's definition).</summary>
    private static (int Token, float Value)[] Reference(float[] logits, float topP, float minP)
    {
        var c = new Candidates();
        c.Reset(logits);
        c.Softmax();
        c.SortDescending();
        var items = c.Items.ToArray();
        var keep = items.Length;
        if (topP < 1f)
        {
            var cumulative = 0f;
            keep = 0;
            foreach (var (_, p) in items)
            {
                keep++;
                cumulative += p;
                if (cumulative >= topP) break;
            }
        }
        if (minP > 0f) keep = Math.Min(keep, items.Count(i => i.Value >= items[0].Value * minP));
        return items[..keep];
    }

    [Theory]
    [InlineData(0.9f, 0f, 1f)]
    [InlineData(0.5f, 0f, 4f)]
    [InlineData(0.99f, 0f, 0.3f)]
    [InlineData(1f, 0.05f, 1f)]
    [InlineData(0.95f, 0.1f, 2f)]
    [InlineData(0.999f, 0f, 0.05f)]   // a flat distribution: the nucleus is most of the vocabulary
    public void Ordering_only_the_nucleus_keeps_exactly_what_sorting_everything_keeps(float topP, float minP, float spread)
    {
        var random = new Random(7);
        for (var round = 0; round < 20; round++)
        {
            var logits = new float[49152];
            for (var i = 0; i < logits.Length; i++) logits[i] = (float)(random.NextDouble() * 2 - 1) * spread * 10;
            // Ties, which the order breaks by token id.
            logits[100] = logits[200] = logits.Max();
            var expected = Reference(logits, topP, minP);

            var c = new Candidates();
            c.Reset(logits);
            c.Softmax();
            c.SortNucleus(topP, minP);
            var cumulative = 0f;
            var keep = 0;
            foreach (var (_, p) in c.Items)
            {
                keep++;
                cumulative += p;
                if (topP < 1f && cumulative >= topP) break;
            }
            var kept = c.Items[..keep].ToArray().Where(i => minP == 0 || i.Value >= c.Items[0].Value * minP).ToArray();

            Assert.Equal(expected, kept);
            Assert.True(c.Count < logits.Length || topP >= 0.999f, "the nucleus should be ordered, not the vocabulary");
        }
    }
}
