namespace Switchboard.Inference.Sampling;

/// <summary>
/// Picks the next token: constraint and bias stages on raw logits, then penalties, top-k, top-p, min-p,
/// temperature, and a seeded draw — or the argmax when temperature is 0. Extra stages (JSON constraints) run
/// first, so nothing they forbid can be drawn.
/// </summary>
public sealed class SamplerChain
{
    private readonly SamplingOptions _options;
    private readonly IReadOnlyList<ISamplerStage> _constraints;
    private readonly Candidates _candidates = new();
    private readonly Random _random;

    public SamplerChain(SamplingOptions options, IReadOnlyList<ISamplerStage>? constraints = null)
    {
        _options = options;
        _constraints = constraints ?? [];
        _random = options.Seed is { } seed ? new Random(unchecked((int)(seed ^ (seed >> 32)))) : new Random();
    }

    public int Sample(ReadOnlySpan<float> logits, IReadOnlyList<int> history)
    {
        var c = _candidates;
        c.Reset(logits);
        // Fresh candidates are in token order, so a bias goes straight to its token (a vocabulary holds ~10^5 of them;
        // biases are a handful). Constraints that drop candidates come after: a bias on a dropped token is moot.
        var items = c.Items;
        foreach (var (token, bias) in _options.LogitBias)
        {
            if ((uint)token < (uint)items.Length) items[token].Value += bias;
        }
        foreach (var stage in _constraints) stage.Apply(c, history);
        items = c.Items;
        ApplyPenalties(items, history);

        // Greedy needs the best candidate, not an order: one pass instead of sorting the vocabulary every token.
        if (_options.Temperature <= 0) return c.ArgMax();
        if (_options.TopK > 0)
        {
            c.SortDescending();
            c.Truncate(_options.TopK);
        }
        // Temperature scales logits before they become probabilities; top-p and min-p then work on those, in order
        // of probability, so only the candidates they could keep are ordered. Without them the draw needs no order.
        foreach (ref var item in c.Items) item.Value /= _options.Temperature;
        c.Softmax();
        if (_options.TopP < 1f || _options.MinP > 0f) c.SortNucleus(_options.TopP, _options.MinP);
        if (_options.TopP < 1f)
        {
            var cumulative = 0f;
            var keep = 0;
            foreach (var (_, p) in c.Items)
            {
                keep++;
                cumulative += p;
                if (cumulative >= _options.TopP) break;
            }
            c.Truncate(keep);
        }
        if (_options.MinP > 0f)
        {
            var threshold = c.Items[0].Value * _options.MinP;
            var keep = 0;
            foreach (var (_, p) in c.Items)
            {
                if (p < threshold) break;
                keep++;
            }
            c.Truncate(keep);
        }
        var total = 0.0;
        foreach (var (_, p) in c.Items) total += p;
        var draw = _random.NextDouble() * total;
        foreach (var (token, p) in c.Items)
        {
            draw -= p;
            if (draw <= 0) return token;
        }
        return c.Items[^1].Token;
    }

    private void ApplyPenalties(Span<(int Token, float Value)> items, IReadOnlyList<int> history)
    {
        if (_options.RepetitionPenalty == 1f && _options.FrequencyPenalty == 0f && _options.PresencePenalty == 0f) return;
        var counts = new Dictionary<int, int>();
        for (var i = Math.Max(0, history.Count - _options.PenaltyWindow); i < history.Count; i++)
            counts[history[i]] = counts.GetValueOrDefault(history[i]) + 1;
        foreach (ref var item in items)
        {
            if (!counts.TryGetValue(item.Token, out var count)) continue;
            // As llama.cpp: divide positive logits, multiply negative ones, then OpenAI's frequency/presence terms.
            item.Value = item.Value > 0 ? item.Value / _options.RepetitionPenalty : item.Value * _options.RepetitionPenalty;
            item.Value -= count * _options.FrequencyPenalty + _options.PresencePenalty;
        }
    }
}
