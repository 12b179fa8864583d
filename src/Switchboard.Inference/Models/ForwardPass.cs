using System.Buffers;
using Switchboard.Inference.Tensors;

namespace Switchboard.Inference.Models;

/// <summary>
/// Tokens for one sequence in a forward pass: appended at the session's position; <paramref name="WantLogits"/> asks
/// for the logits after the last of them (a prompt's earlier chunks need none).
/// </summary>
public readonly record struct SequenceStep(LlamaSession Session, ReadOnlyMemory<int> Tokens, bool WantLogits = true);

/// <summary>
/// One pass through the model for the tokens of several sequences at once: every weight matrix is read once for all
/// of their rows (a prompt's tokens, and each decoding sequence's next token), while each row attends only to its own
/// sequence's cache. Per row the arithmetic is <see cref="LlamaSession.Evaluate"/>'s, so a sequence's results do not
/// depend on what else is in the pass.
/// </summary>
internal static class ForwardPass
{
    /// <summary>
    /// The most rows callers put in one pass; a longer prompt is taken in chunks, as llama.cpp's micro-batches. A
    /// pass's activations grow with its rows (at 512 on a 1B model, the feed-forward's alone are 34 MB); at this size
    /// they stay a few megabytes, while every weight row still meets enough vectors to be unpacked once for many.
    /// </summary>
    public const int RowsPerPass = 128;

    /// <summary>
    /// Runs <paramref name="steps"/> through <paramref name="model"/>; <paramref name="logits"/> receives the
    /// vocabulary's logits for each step that wants them, one after another. <paramref name="cancellationToken"/> is
    /// checked before each layer, and the sessions' positions do not move if it fires. With <paramref name="pooled"/>,
    /// each step's rows' final states (after the output norm) are added, summed per step, into its slice of it: what
    /// mean-pooled embeddings are made of.
    /// </summary>
    public static void Run(LlamaModel model, ReadOnlySpan<SequenceStep> steps, float[] logits, CancellationToken cancellationToken, double[]? pooled = null)
    {
        var c = model.Config;
        var vocab = model.Output.Rows;
        var (rows, wanted, longest) = Validate(model, steps);
        if (logits.Length < wanted * vocab)
            throw new ArgumentException($"{wanted} sequences want logits: {wanted * vocab} values, but the buffer holds {logits.Length}.", nameof(logits));
        int embd = c.EmbeddingLength, kv = c.KvDim, ff = c.FeedForwardLength;
        var rowSession = ArrayPool<LlamaSession>.Shared.Rent(rows);
        var rowPosition = ArrayPool<int>.Shared.Rent(rows);
        using var scratch = new PrefillScratch(rows, c);
        float[] x = scratch.X, xn = scratch.Normed, q = scratch.Q, k = scratch.K, v = scratch.V, attn = scratch.Attention,
            proj = scratch.Projected, gate = scratch.Gate, up = scratch.Up;
        try
        {
            var row = 0;
            foreach (var step in steps)
            {
                var tokens = step.Tokens.Span;
                for (var t = 0; t < tokens.Length; t++, row++)
                {
                    rowSession[row] = step.Session;
                    rowPosition[row] = step.Session.Position + t;
                    model.TokenEmbedding.CopyRow(tokens[t], x.AsSpan(row * embd, embd));
                }
            }
            var parts = Math.Min(WorkerPool.Shared.Parts, rows);
            // Scores for the longest row's attention, one buffer per part, reused by every layer.
            var scores = new float[parts][];
            for (var p = 0; p < parts; p++) scores[p] = new float[LlamaSession.ScoreRows * longest];
            for (var layer = 0; layer < c.BlockCount; layer++)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var block = model.Blocks[layer];
                RmsNormRows(c, x, block.AttnNorm, xn, rows);
                block.Q.MultiplyMatrix(xn, q, rows);
                block.K.MultiplyMatrix(xn, k, rows);
                block.V.MultiplyMatrix(xn, v, rows);
                var layerIndex = layer;
                // Costed above their bytes (rotary angles are a sine and cosine per pair): a batch of decoding sequences is
                // only a few rows, and left on one core these stages kept the other idle.
                RowPartition.For(rows, (long)rows * (embd + 2 * kv) * 16, (first, end) =>
                {
                    for (var t = first; t < end; t++)
                        rowSession[t].PositionAndCache(block, layerIndex, rowPosition[t], q.AsSpan(t * embd, embd), k.AsSpan(t * kv, kv), v.AsSpan(t * kv, kv));
                });
                // With the layer's keys and values cached, every row attends independently: spread them over the cores,
                // interleaved because causal attention costs more the later the token.
                RowPartition.ForEachPart(parts, part =>
                {
                    for (var t = part; t < rows; t += parts)
                        rowSession[t].Attend(layerIndex, rowPosition[t], q.AsSpan(t * embd, embd), attn.AsSpan(t * embd, embd), scores[part]);
                });
                block.Output.MultiplyMatrix(attn, proj, rows);
                for (var i = 0; i < rows * embd; i++) x[i] += proj[i];

                RmsNormRows(c, x, block.FfnNorm, xn, rows);
                block.Gate.MultiplyMatrix(xn, gate, rows);
                block.Up.MultiplyMatrix(xn, up, rows);
                RowPartition.For(rows, (long)rows * ff * 32, (first, end) =>
                {
                    for (var i = first * ff; i < end * ff; i++) gate[i] = gate[i] / (1f + MathF.Exp(-gate[i])) * up[i];
                });
                block.Down.MultiplyMatrix(gate, proj, rows);
                for (var i = 0; i < rows * embd; i++) x[i] += proj[i];
            }
            if (pooled is not null) Pool(model, steps, x, xn, pooled);
            Finish(model, steps, x, xn, logits, wanted);
        }
        finally
        {
            ArrayPool<LlamaSession>.Shared.Return(rowSession, clearArray: true);
            ArrayPool<int>.Shared.Return(rowPosition);
        }
    }

    /// <summary>Every row's final state, added into its step's slice of <paramref name="pooled"/>.</summary>
    private static void Pool(LlamaModel model, ReadOnlySpan<SequenceStep> steps, float[] x, float[] normed, double[] pooled)
    {
        var c = model.Config;
        var embd = c.EmbeddingLength;
        var row = 0;
        for (var s = 0; s < steps.Length; s++)
        {
            var sum = pooled.AsSpan(s * embd, embd);
            for (var t = 0; t < steps[s].Tokens.Length; t++, row++)
            {
                var hidden = normed.AsSpan(row * embd, embd);
                LlamaSession.RmsNorm(x.AsSpan(row * embd, embd), model.OutputNorm, hidden, c.RmsEpsilon);
                for (var i = 0; i < embd; i++) sum[i] += hidden[i];
            }
        }
    }

    /// <summary>The final norm of each sequence's last row, the output projection for those that want logits, and the positions moved on.</summary>
    private static void Finish(LlamaModel model, ReadOnlySpan<SequenceStep> steps, float[] x, float[] normed, float[] logits, int wanted)
    {
        var c = model.Config;
        var embd = c.EmbeddingLength;
        var last = -1;
        var wantedRow = 0;
        foreach (var step in steps)
        {
            last += step.Tokens.Length;
            // Rows of the normed buffer are free now: the wanted sequences' final states are gathered at its front.
            var hidden = step.WantLogits ? normed.AsSpan(wantedRow++ * embd, embd) : step.Session.HiddenBuffer;
            LlamaSession.RmsNorm(x.AsSpan(last * embd, embd), model.OutputNorm, hidden, c.RmsEpsilon);
            if (step.WantLogits) hidden.CopyTo(step.Session.HiddenBuffer);
            step.Session.Advance(step.Tokens.Length);
        }
        if (wanted == 1) model.Output.MultiplyVector(normed.AsSpan(0, embd), logits.AsSpan(0, model.Output.Rows));
        else if (wanted > 1) model.Output.MultiplyMatrix(normed, logits, wanted);
    }

    internal static (int Rows, int Wanted, int Longest) Validate(LlamaModel model, ReadOnlySpan<SequenceStep> steps)
    {
        if (steps.IsEmpty) throw new ArgumentException("Nothing to evaluate.", nameof(steps));
        int rows = 0, wanted = 0, longest = 0;
        for (var i = 0; i < steps.Length; i++)
        {
            var (session, tokens, wantLogits) = steps[i];
            if (!ReferenceEquals(session.Model, model)) throw new ArgumentException("A session belongs to another model.", nameof(steps));
            if (tokens.IsEmpty) throw new ArgumentException("A sequence has no tokens to evaluate.", nameof(steps));
            for (var j = 0; j < i; j++)
            {
                if (ReferenceEquals(steps[j].Session, session)) throw new ArgumentException("A session appears twice in one pass.", nameof(steps));
            }
            if (session.Position + tokens.Length > session.ContextSize)
                throw new InvalidOperationException($"The context of {session.ContextSize} tokens is full: the prompt plus max_tokens must fit in it.");
            foreach (var token in tokens.Span)
            {
                if ((uint)token >= (uint)model.TokenEmbedding.Rows)
                    throw new ArgumentOutOfRangeException(nameof(steps), $"Token {token} is outside the vocabulary of {model.TokenEmbedding.Rows}.");
            }
            rows += tokens.Length;
            longest = Math.Max(longest, session.Position + tokens.Length);
            if (wantLogits) wanted++;
        }
        return (rows, wanted, longest);
    }

    /// <summary>RMSNorm of each of <paramref name="n"/> token rows, the rows split across the cores.</summary>
    private static void RmsNormRows(LlamaConfig c, float[] x, float[] weight, float[] output, int n)
    {
        var embd = c.EmbeddingLength;
        var eps = c.RmsEpsilon;
        RowPartition.For(n, (long)n * embd * 4, (start, end) =>
        {
            for (var t = start; t < end; t++) LlamaSession.RmsNorm(x.AsSpan(t * embd, embd), weight, output.AsSpan(t * embd, embd), eps);
        });
    }
}
