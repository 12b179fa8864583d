using System.Runtime.CompilerServices;
using Switchboard.Inference.Models;
using Switchboard.Inference.Sampling;

namespace Switchboard.Inference.Generation;

/// <summary>Why generation stopped: OpenAI's <c>stop</c> (end of sequence or a stop string) or <c>length</c>.</summary>
public enum FinishReason { Stop, Length }

/// <summary>One generated token, the text it completed (empty while a UTF-8 character is still partial), and its log probabilities when asked for.</summary>
public readonly record struct GeneratedToken(int Id, string Text, FinishReason? Finish, TokenLogprobs? Logprobs = null);

public sealed record GenerationOptions
{
    public int MaxTokens { get; init; } = 256;
    public SamplingOptions Sampling { get; init; } = new();
    /// <summary>Makes a sequence's constraint stage (JSON mode), given the prompt's length; one per sequence, as it follows the sequence's tokens.</summary>
    public Func<int, ISamplerStage>? Constraint { get; init; }

    /// <summary>OpenAI's <c>stop</c>: strings that end the generation and are not emitted.</summary>
    public IReadOnlyList<string> Stop { get; init; } = [];

    /// <summary>Null for no log probabilities; otherwise each token's, with this many most likely alternatives.</summary>
    public int? TopLogprobs { get; init; }
}

/// <summary>Runs a prompt through a session and streams sampled tokens until EOS, <c>MaxTokens</c>, or cancellation.</summary>
public static class Generator
{
    /// <exception cref="InvalidOperationException">The prompt plus <c>MaxTokens</c> does not fit the session's context.</exception>
    public static async IAsyncEnumerable<GeneratedToken> GenerateAsync(LlamaModel model, LlamaSession session, IReadOnlyList<int> prompt,
        GenerationOptions options, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (prompt.Count == 0) throw new ArgumentException("The prompt must hold at least one token (BOS).", nameof(prompt));
        if (session.Position + prompt.Count + options.MaxTokens > session.ContextSize)
            throw new InvalidOperationException(
                $"The prompt ({prompt.Count} tokens) plus max_tokens ({options.MaxTokens}) exceeds the context of {session.ContextSize} tokens.");
        if (options.MaxTokens == 0) yield break;
        var state = new SequenceState(model, prompt, options);
        cancellationToken.ThrowIfCancellationRequested();
        // Copied: the session's logits buffer is overwritten by its next evaluation.
        var logits = session.Prefill(prompt.ToArray(), cancellationToken).ToArray();
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var token = state.Next(logits);
            yield return token;
            if (state.Finished) yield break;
            // Into the same array each token: a vocabulary's logits are a large-object allocation, and one per token
            // kept the GC's most expensive collections busy during decoding.
            session.Evaluate(token.Id).CopyTo(logits);
            // Evaluation is CPU-bound; yielding keeps a caller's cancellation and other work responsive.
            await Task.Yield();
        }
    }
}
