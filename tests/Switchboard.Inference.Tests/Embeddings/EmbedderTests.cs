using Switchboard.Inference.Embeddings;
using Switchboard.Inference.Models;

namespace Switchboard.Inference.Tests.Embeddings;

/// <summary>Several inputs embedded as one batch give each input's own vector, as evaluating it alone token by token does.</summary>
public sealed class EmbedderTests
{
    /// <summary>The reference: one token at a time through its own session, the output-normed states averaged and normalised.</summary>
    private static float[] OneByOne(LlamaModel model, int[] tokens)
    {
        var session = model.CreateSession(tokens.Length, f16Cache: true);
        var sum = new double[model.Config.EmbeddingLength];
        foreach (var token in tokens)
        {
            session.Evaluate(token);
            for (var i = 0; i < sum.Length; i++) sum[i] += session.Hidden[i];
        }
        var norm = Math.Sqrt(sum.Sum(v => v / tokens.Length * (v / tokens.Length)));
        return [.. sum.Select(v => (float)(v / tokens.Length / norm))];
    }

    [ModelFact]
    public void A_batch_spanning_passes_gives_each_input_its_own_vector()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        var random = new Random(7);
        // 300 + 300 + 5 tokens in passes of 128 rows: each long input spans three passes, one pass takes the first's last
        // 44 tokens with the second's first 84, and the third input shares the last pass with the second's tail.
        Assert.Equal(128, Embedder.RowsPerPass);
        int[][] inputs = [.. new[] { 300, 300, 5 }.Select(n => Enumerable.Range(0, n).Select(i => i == 0 ? 1 : random.Next(3, model.Vocabulary.Count)).ToArray())];
        var batch = Embedder.EmbedAll(model, inputs);
        Assert.Equal(inputs.Length, batch.Length);
        for (var i = 0; i < inputs.Length; i++)
        {
            var alone = OneByOne(model, inputs[i]);
            for (var d = 0; d < alone.Length; d++) Assert.Equal(alone[d], batch[i][d], 1e-5f);
        }
        // Different inputs, different vectors: the batch does not mix them up.
        Assert.NotEqual(batch[0], batch[1]);
    }
}
