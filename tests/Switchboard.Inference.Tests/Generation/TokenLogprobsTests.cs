using Switchboard.Inference.Generation;

namespace Switchboard.Inference.Tests.Generation;

public sealed class TokenLogprobsTests
{
    [Fact]
    public void Log_probabilities_are_the_log_softmax_and_the_top_ones_come_most_likely_first()
    {
        float[] logits = [1f, 3f, 2f, 3f, -5f];
        var logSum = Math.Log(logits.Sum(l => Math.Exp(l)));

        var result = TokenLogprobs.Of(logits, 2, top: 3);

        Assert.Equal(2 - logSum, result.Logprob, 5);
        Assert.Equal([1, 3, 2], result.Top.Select(t => t.Token));
        Assert.Equal(3 - logSum, result.Top[0].Logprob, 5);
        Assert.Empty(TokenLogprobs.Of(logits, 0, top: 0).Top);
    }
}
