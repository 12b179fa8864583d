using Switchboard.Inference.Generation;
using Switchboard.Inference.Models;
using Switchboard.Inference.Sampling;
using Switchboard.Inference.Tokenizers;

namespace Switchboard.Inference.Tests.Generation;

public sealed class StopSequencesTests
{
    private static (string Text, bool Stopped) Feed(StopSequences stops, params string[] pieces)
    {
        var text = "";
        foreach (var piece in pieces)
        {
            var (emit, stopped) = stops.Append(piece);
            text += emit;
            if (stopped) return (text, true);
        }
        return (text + stops.Flush(), false);
    }

    [Fact]
    public void A_stop_string_split_across_pieces_ends_the_text_before_it()
    {
        Assert.Equal(("Hello ", true), Feed(new StopSequences(["END"]), "Hel", "lo E", "N", "D and more"));
        Assert.Equal(("a", true), Feed(new StopSequences(["xyz", "bc"]), "ab", "c"));
    }

    [Fact]
    public void Text_held_back_as_a_possible_stop_is_released_when_it_is_not_one()
    {
        var stops = new StopSequences(["</answer>"]);
        Assert.Equal(("x ", false), stops.Append("x </ans"));
        Assert.Equal(("", false), stops.Append("w"));
        Assert.Equal(("</answ", false), stops.Append("<"));
        Assert.Equal("<", stops.Flush());
        Assert.Equal(("no stops at all", false), Feed(new StopSequences([""]), "no stops", " at all"));
    }

    [ModelFact]
    public async Task Generation_ends_at_a_stop_string_that_spans_tokens_and_never_emits_it()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        var prompt = model.Tokenizer.Encode("Once upon a time", addSpecial: true);
        async Task<List<GeneratedToken>> RunAsync(IReadOnlyList<string> stop)
        {
            var tokens = new List<GeneratedToken>();
            var options = new GenerationOptions { MaxTokens = 48, Sampling = SamplingOptions.Greedy, Stop = stop };
            await foreach (var token in Generator.GenerateAsync(model, model.CreateSession(prompt.Count + 48), prompt, options)) tokens.Add(token);
            return tokens;
        }
        var plain = await RunAsync([]);
        var text = string.Concat(plain.Select(t => t.Text));
        // A stop string straddling the boundary after the fifth token.
        var boundary = string.Concat(plain.Take(5).Select(t => t.Text)).Length;
        var stop = text.Substring(boundary - 2, 5);
        var expected = text[..text.IndexOf(stop, StringComparison.Ordinal)];

        var stopped = await RunAsync([stop]);

        Assert.Equal(expected, string.Concat(stopped.Select(t => t.Text)));
        Assert.Equal(FinishReason.Stop, stopped[^1].Finish);
        Assert.True(stopped.Count < plain.Count);
    }
}
