namespace Switchboard.Inference.Sampling;

/// <summary>
/// The tokens still in the running and their logits (then probabilities). Stages narrow and reshape it; a stage
/// that constrains output (JSON mode) removes what may not come next.
/// </summary>
public sealed class Candidates
{
    private (int Token, float Value)[] _items = [];

    public int Count { get; private set; }
    public bool Sorted { get; private set; }
    public Span<(int Token, float Value)> Items => _items.AsSpan(0, Count);

    public void Reset(ReadOnlySpan<float> logits)
    {
        if (_items.Length < logits.Length) _items = new (int, float)[logits.Length];
        for (var i = 0; i < logits.Length; i++) _items[i] = (i, logits[i]);
        Count = logits.Length;
        Sorted = false;
    }

    /// <summary>Sorts by value, highest first (ties: lower token id first, so results are deterministic).</summary>
    public void SortDescending()
    {
        if (Sorted) return;
        Items.Sort(static (a, b) => b.Value != a.Value ? b.Value.CompareTo(a.Value) : a.Token.CompareTo(b.Token));
        Sorted = true;
    }

    /// <summary>
    /// Orders, highest first, only the candidates that top-p (<paramref name="topP"/> of the mass) and min-p (at least
    /// <paramref name="minP"/> of the best probability) could keep, dropping the rest; values must be probabilities.
    /// The vocabulary is ~10^5 tokens and sorting it took longer than a decode step, while the nucleus is usually a few
    /// dozen. The order is total (ties by token id), so what is kept comes out exactly as a full sort would give it.
    /// </summary>
    public void SortNucleus(float topP, float minP)
    {
        if (Sorted) return;
        var items = Items;
        var max = 0f;
        foreach (var (_, p) in items) max = Math.Max(max, p);
        var floor = minP > 0 ? max * minP : 0f;
        var threshold = floor;
        if (topP < 1f)
        {
            // Lower a threshold until the candidates at or above it surely hold top-p's mass (with room for the
            // rounding of a float cumulative sum), but never below what min-p drops anyway.
            for (var t = max / 16; t > floor; t /= 16)
            {
                double mass = 0;
                foreach (var (_, p) in items)
                {
                    if (p >= t) mass += p;
                }
                if (mass >= topP + 1e-3 || t < 1e-30f)
                {
                    threshold = t;
                    break;
                }
            }
        }
        var kept = 0;
        for (var i = 0; i < items.Length; i++)
        {
            if (items[i].Value >= threshold) items[kept++] = items[i];
        }
        Count = Math.Max(kept, 1);
        SortDescending();
    }

    /// <summary>The highest-valued candidate (ties: the lower token id, as <see cref="SortDescending"/> orders them), in one pass.</summary>
    public int ArgMax()
    {
        var items = Items;
        var best = 0;
        for (var i = 1; i < items.Length; i++)
        {
            var (token, value) = items[i];
            if (value > items[best].Value || value == items[best].Value && token < items[best].Token) best = i;
        }
        return items[best].Token;
    }

    /// <summary>
    /// Keeps the candidates whose token is marked in <paramref name="allowed"/>, in their order. If none is, all stay:
    /// a constraint with nothing left to offer (a vocabulary without an end token) must not leave nothing to draw.
    /// </summary>
    public void Keep(bool[] allowed)
    {
        var items = Items;
        var kept = 0;
        for (var i = 0; i < items.Length; i++)
        {
            var token = items[i].Token;
            if ((uint)token < (uint)allowed.Length && allowed[token]) items[kept++] = items[i];
        }
        if (kept > 0) Count = kept;
    }

    /// <summary>Keeps the first <paramref name="count"/> candidates (after sorting).</summary>
    public void Truncate(int count) => Count = Math.Clamp(count, 1, Count);

    /// <summary>Turns logits into probabilities (softmax, max-subtracted, summed in double).</summary>
    public void Softmax()
    {
        var items = Items;
        var max = float.NegativeInfinity;
        foreach (var (_, v) in items) max = Math.Max(max, v);
        double sum = 0;
        for (var i = 0; i < items.Length; i++)
        {
            var e = MathF.Exp(items[i].Value - max);
            items[i].Value = e;
            sum += e;
        }
        for (var i = 0; i < items.Length; i++) items[i].Value = (float)(items[i].Value / sum);
    }
}
