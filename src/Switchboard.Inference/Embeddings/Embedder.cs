using Switchboard.Inference.Models;

namespace Switchboard.Inference.Embeddings;

/// <summary>
/// A text's embedding from a causal model: the final hidden state (after the output norm, before the output
/// projection) of every token, BOS included, averaged and scaled to unit length — llama.cpp's
/// <c>llama-embedding --pooling mean --embd-normalize 2</c>.
/// </summary>
public static class Embedder
{
    /// <exception cref="ArgumentException">No tokens, or more than the model's context.</exception>
    public static float[] Embed(LlamaModel model, IReadOnlyList<int> tokens, CancellationToken cancellationToken = default)
    {
        if (tokens.Count == 0) throw new ArgumentException("Nothing to embed.", nameof(tokens));
        if (tokens.Count > model.Config.ContextLength)
            throw new ArgumentException($"{tokens.Count} tokens are more than the model's context of {model.Config.ContextLength}.", nameof(tokens));
        // An F16 cache, as llama.cpp's embedding tool keeps it, so the vectors agree with its to about 1e-5.
        var session = model.CreateSession(tokens.Count, f16Cache: true);
        var sum = new double[model.Config.EmbeddingLength];
        foreach (var token in tokens)
        {
            cancellationToken.ThrowIfCancellationRequested();
            session.Evaluate(token);
            var hidden = session.Hidden;
            for (var i = 0; i < sum.Length; i++) sum[i] += hidden[i];
        }
        double norm = 0;
        for (var i = 0; i < sum.Length; i++)
        {
            sum[i] /= tokens.Count;
            norm += sum[i] * sum[i];
        }
        norm = Math.Sqrt(norm);
        var embedding = new float[sum.Length];
        for (var i = 0; i < sum.Length; i++) embedding[i] = norm > 0 ? (float)(sum[i] / norm) : 0f;
        return embedding;
    }
}
