using System.Text;
using System.Text.Unicode;
using Switchboard.Inference.Gguf;
using Switchboard.Inference.Tokenizers;

namespace Switchboard.Inference.Tests.Tokenizers;

/// <summary>A model file gets the tokenizer it names, with its specials and end-of-generation tokens, and text comes back out unchanged.</summary>
public sealed class TokenizerSelectionTests
{
    private static ITokenizer Load(string vocabName)
    {
        using var file = GgufFile.Open(TestModels.PathOf($"vocab/ggml-vocab-{vocabName}.gguf"));
        return Tokenizer.FromGguf(file);
    }

    [ModelTheory]
    [InlineData("llama-spm", typeof(SentencePieceTokenizer))]
    [InlineData("qwen2", typeof(ByteLevelBpeTokenizer))]
    [InlineData("llama-bpe", typeof(ByteLevelBpeTokenizer))]
    [InlineData("gpt-2", typeof(ByteLevelBpeTokenizer))]
    [InlineData("deepseek-coder", typeof(ByteLevelBpeTokenizer))]
    public void The_file_chooses_its_tokenizer_and_it_matches_llama_cpp(string vocabName, Type expected)
    {
        var tokenizer = Load(vocabName);
        Assert.IsType(expected, tokenizer);
        TokenizerVectors.AssertAllMatch(vocabName, input => tokenizer.Encode(input, addSpecial: false));
    }

    [ModelTheory]
    [InlineData("qwen2")]
    [InlineData("llama-bpe")]
    [InlineData("llama-spm")]
    public void Decoding_gives_back_the_text(string vocabName)
    {
        var tokenizer = Load(vocabName);
        foreach (var (input, _) in TokenizerVectors.Load(vocabName))
        {
            if (!Utf8.IsValid(input)) continue;
            var text = Encoding.UTF8.GetString(input);
            var decoded = tokenizer.Decode(tokenizer.Encode(input, addSpecial: true));
            // SentencePiece adds a leading space marker to the text it encodes; llama.cpp strips it when detokenising.
            if (tokenizer is SentencePieceTokenizer && text.Length > 0) decoded = decoded[1..];
            Assert.Equal(text, decoded);
        }
    }

    [ModelTheory]
    [InlineData("qwen2", "<|im_end|>", "<|endoftext|>")]
    [InlineData("llama-bpe", "<|eot_id|>", "<|end_of_text|>")]
    public void Turn_end_tokens_end_a_generation(string vocabName, string turnEnd, string textEnd)
    {
        var vocabulary = Load(vocabName).Vocabulary;
        Assert.True(vocabulary.TryGetId(turnEnd, out var turn));
        Assert.True(vocabulary.TryGetId(textEnd, out var end));
        Assert.Contains(turn, vocabulary.EndOfGeneration);
        Assert.Contains(end, vocabulary.EndOfGeneration);
        Assert.True(vocabulary.TryGetId("Hello", out var hello));
        Assert.DoesNotContain(hello, vocabulary.EndOfGeneration);
    }

    [ModelFact]
    public void Control_tokens_in_a_rendered_prompt_are_parsed_only_when_asked_and_never_printed()
    {
        var tokenizer = Load("qwen2");
        Assert.True(tokenizer.Vocabulary.TryGetId("<|im_start|>", out var start));
        Assert.True(tokenizer.Vocabulary.TryGetId("<|im_end|>", out var end));
        const string Prompt = "<|im_start|>user\nHi<|im_end|>\n";

        var parsed = tokenizer.Encode(Prompt, addSpecial: false, parseSpecial: true);
        Assert.Equal(start, parsed[0]);
        Assert.Contains(end, parsed);
        var plain = tokenizer.Encode(Prompt, addSpecial: false);
        Assert.DoesNotContain(start, plain);
        Assert.DoesNotContain(end, plain);

        Assert.Equal("user\nHi\n", tokenizer.Decode(parsed));
        Assert.Equal(Prompt, tokenizer.Decode(plain));
    }

    [ModelFact]
    public void A_tokenizer_the_engine_does_not_run_is_a_clear_error()
    {
        using var file = GgufFile.Open(TestModels.PathOf("vocab/ggml-vocab-bert-bge.gguf"));
        var error = Assert.Throws<GgufException>(() => Tokenizer.FromGguf(file));
        Assert.Contains("'bert'", error.Message, StringComparison.Ordinal);
    }
}
