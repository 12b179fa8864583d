using Switchboard.Inference.Models;
using Switchboard.Inference.Sampling;
using Switchboard.Inference.Tokenizers;

namespace Switchboard.Inference.Generation;

/// <summary>
/// What one generation remembers between tokens: its sampler, the tokens so far (penalties look at them), the UTF-8
/// and stop strings still pending, and how many tokens it has made. It turns each step's logits into the next
/// <see cref="GeneratedToken"/>; one sequence alone (<see cref="Generator"/>) and many batched
/// (<see cref="BatchedGenerator"/>) share it, so they stop and sample alike.
/// </summary>
internal sealed class SequenceState(LlamaModel model, IReadOnlyList<int> prompt, GenerationOptions options)
{
    private readonly SamplerChain _sampler = new(options.Sampling, options.Constraint is { } make ? [make(prompt.Count)] : []);
    private readonly Utf8Assembler _assembler = new();
    private readonly StopSequences _stops = new(options.Stop);
    private readonly List<int> _history = new(prompt);
    private int _produced;

    public GenerationOptions Options => options;

    /// <summary>Set once the last token has been made: its <see cref="GeneratedToken.Finish"/> says why.</summary>
    public bool Finished { get; private set; }

    /// <summary>Samples the token that follows <paramref name="logits"/> and says what text it completes.</summary>
    public GeneratedToken Next(ReadOnlySpan<float> logits)
    {
        if (Finished) throw new InvalidOperationException("The generation has finished.");
        var next = _sampler.Sample(logits, _history);
        _history.Add(next);
        _produced++;
        var logprobs = options.TopLogprobs is { } top ? TokenLogprobs.Of(logits, next, top) : null;
        if (model.Vocabulary.EndOfGeneration.Contains(next))
        {
            Finished = true;
            var (tail, stoppedAtEnd) = _stops.Append(_assembler.Flush());
            return new GeneratedToken(next, stoppedAtEnd ? tail : tail + _stops.Flush(), FinishReason.Stop, logprobs);
        }
        var last = _produced == options.MaxTokens;
        var (text, stopped) = _stops.Append(_assembler.Append(model.Tokenizer.TokenBytes(next)) + (last ? _assembler.Flush() : ""));
        if (stopped)
        {
            Finished = true;
            return new GeneratedToken(next, text, FinishReason.Stop, logprobs);
        }
        Finished = last;
        return new GeneratedToken(next, last ? text + _stops.Flush() : text, last ? FinishReason.Length : null, logprobs);
    }
}
