using Switchboard.Inference.Sampling;

namespace Switchboard.Inference.Tests.Sampling;

public sealed class SamplerChainTests
{
    [Fact]
    public void Greedy_takes_the_highest_logit_and_the_lower_token_on_a_tie()
    {
        var greedy = new SamplerChain(SamplingOptions.Greedy);
        Assert.Equal(3, greedy.Sample([0.5f, 2f, -1f, 4f, 3.9f], []));
        Assert.Equal(1, greedy.Sample([0.5f, 4f, -1f, 4f, 4f], []));
    }

    [Fact]
    public void A_logit_bias_reaches_its_token_whatever_its_position()
    {
        var logits = new float[50_000];
        logits[10] = 5f;
        var biased = new SamplerChain(SamplingOptions.Greedy with { LogitBias = new Dictionary<int, float> { [49_999] = 10f, [10] = -100f, [60_000] = 5f } });
        Assert.Equal(49_999, biased.Sample(logits, []));
    }
}
