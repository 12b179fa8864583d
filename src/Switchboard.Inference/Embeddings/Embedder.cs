using Switchboard.Inference.Models;

namespace Switchboard.Inference.Embeddings;

/// <summary>
/// A text's embedding from a causal model: the final hidden state (after the output norm, before the output
/// projection) of every token, BOS included, averaged and scaled to unit length — llama.cpp's
/// <c>llama-embedding --pooling mean --embd-normalize 2</c>. Several inputs run as one batch: each forward pass
/// takes up to <see cref="RowsPerPass"/> tokens from as many inputs as fit, so the weights are read once for all of
/// them, and a long input continues in the next pass.
/// </summary>
public static class Embedder
{
    /// <summary>Tokens per forward pass, as the batched generator's prompt chunks.</summary>
    public const int RowsPerPass = ForwardPass.RowsPerPass;

    /// <exception cref="ArgumentException">No tokens, or more than the model's context.</exception>
    public static float[] Embed(LlamaModel model, IReadOnlyList<int> tokens, CancellationToken cancellationToken = default) =>
        EmbedAll(model, [tokens], cancellationToken)[0];

    /// <summary>Each input's embedding, in order.</summary>
    /// <exception cref="ArgumentException">An input with no tokens, or more than the model's context.</exception>
    public static float[][] EmbedAll(LlamaModel model, IReadOnlyList<IReadOnlyList<int>> inputs, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        foreach (var tokens in inputs)
        {
            if (tokens.Count == 0) throw new ArgumentException("Nothing to embed.", nameof(inputs));
            if (tokens.Count > model.Config.ContextLength)
                throw new ArgumentException($"{tokens.Count} tokens are more than the model's context of {model.Config.ContextLength}.", nameof(inputs));
        }
        var embd = model.Config.EmbeddingLength;
        var sums = new double[inputs.Count * embd];
        var sessions = new LlamaSession?[inputs.Count];
        var done = new int[inputs.Count];
        var steps = new List<SequenceStep>();
        var inPass = new List<int>();
        var next = 0;   // inputs before this one are finished
        while (next < inputs.Count)
        {
            steps.Clear();
            inPass.Clear();
            var rows = 0;
            for (var i = next; i < inputs.Count && rows < RowsPerPass; i++)
            {
                // An F16 cache, as llama.cpp's embedding tool keeps it, so the vectors agree with its to about 1e-5.
                // Made when the input starts and dropped when it ends: only a pass's worth of caches is alive at once.
                var session = sessions[i] ??= model.CreateSession(inputs[i].Count, f16Cache: true);
                var take = Math.Min(inputs[i].Count - done[i], RowsPerPass - rows);
                steps.Add(new SequenceStep(session, inputs[i].Skip(done[i]).Take(take).ToArray(), WantLogits: false));
                inPass.Add(i);
                rows += take;
            }
            var pooled = new double[steps.Count * embd];
            ForwardPass.Run(model, [.. steps], [], cancellationToken, pooled);
            for (var s = 0; s < inPass.Count; s++)
            {
                var i = inPass[s];
                done[i] += steps[s].Tokens.Length;
                for (var d = 0; d < embd; d++) sums[i * embd + d] += pooled[s * embd + d];
                if (done[i] == inputs[i].Count) sessions[i] = null;
            }
            while (next < inputs.Count && done[next] == inputs[next].Count) next++;
        }
        return [.. inputs.Select((tokens, i) => Normalise(sums.AsSpan(i * embd, embd), tokens.Count))];
    }

    private static float[] Normalise(ReadOnlySpan<double> sum, int count)
    {
        double norm = 0;
        var mean = new double[sum.Length];
        for (var i = 0; i < sum.Length; i++)
        {
            mean[i] = sum[i] / count;
            norm += mean[i] * mean[i];
        }
        norm = Math.Sqrt(norm);
        var embedding = new float[sum.Length];
        for (var i = 0; i < sum.Length; i++) embedding[i] = norm > 0 ? (float)(mean[i] / norm) : 0f;
        return embedding;
    }
}
