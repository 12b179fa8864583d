namespace Switchboard.Inference.Generation;

/// <summary>OpenAI's <c>logprobs</c> for one generated token: its log probability and the most likely tokens at its place.</summary>
/// <param name="Logprob">The chosen token's log probability under the model's distribution (its raw logits).</param>
/// <param name="Top">The most likely tokens there, most likely first (ties: lower id first).</param>
public sealed record TokenLogprobs(float Logprob, IReadOnlyList<(int Token, float Logprob)> Top)
{
    /// <summary>The log-softmax of <paramref name="logits"/> at <paramref name="token"/>, and the <paramref name="top"/> best tokens.</summary>
    public static TokenLogprobs Of(ReadOnlySpan<float> logits, int token, int top)
    {
        var max = float.NegativeInfinity;
        foreach (var value in logits) max = Math.Max(max, value);
        double sum = 0;
        foreach (var value in logits) sum += Math.Exp(value - max);
        var logSum = max + (float)Math.Log(sum);

        // The best few in one pass: most values fall below the current k-th best and are skipped at once.
        var best = new List<(int Token, float Logit)>(top + 1);
        for (var i = 0; i < logits.Length && top > 0; i++)
        {
            var value = logits[i];
            if (best.Count == top && value <= best[^1].Logit) continue;
            var at = best.Count;
            while (at > 0 && best[at - 1].Logit < value) at--;
            best.Insert(at, (i, value));
            if (best.Count > top) best.RemoveAt(best.Count - 1);
        }
        return new TokenLogprobs(logits[token] - logSum, [.. best.Select(b => (b.Token, b.Logit - logSum))]);
    }
}
