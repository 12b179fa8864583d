using Switchboard.Inference.Gguf;
using Switchboard.Inference.Tokenizers;

namespace Switchboard.Inference.Tests.Tokenizers;

public sealed class SentencePieceTokenizerTests
{
    [ModelTheory]
    [InlineData("llama-spm")]
    [InlineData("phi-3")]
    public void Matches_llama_cpp_on_every_test_vector(string vocabName)
    {
        using var file = GgufFile.Open(TestModels.PathOf($"vocab/ggml-vocab-{vocabName}.gguf"));
        Assert.Equal("llama", file.GetString("tokenizer.ggml.model"));
        var tokenizer = new SentencePieceTokenizer(Vocabulary.FromGguf(file));

        TokenizerVectors.AssertAllMatch(vocabName, input => tokenizer.Encode(input, addSpecial: false));
    }

    [ModelFact]
    public void Stories260K_prompts_tokenize_as_llama_cpp_tokenized_them_for_the_greedy_reference()
    {
        using var file = GgufFile.Open(TestModels.PathOf("stories260K.gguf"));
        var tokenizer = new SentencePieceTokenizer(Vocabulary.FromGguf(file));
        var reference = TestModels.Reference("stories260K-greedy.json");
        Assert.Equal(6, reference.GetArrayLength());
        foreach (var item in reference.EnumerateArray())
        {
            var expected = TestModels.Ints(item.GetProperty("prompt_tokens"));
            Assert.Equal(expected, tokenizer.Encode(item.GetProperty("prompt").GetString()!, addSpecial: true));
        }
    }

    [ModelFact]
    public void Bos_is_added_by_default_for_stories260K_and_the_empty_prompt_is_just_bos()
    {
        using var file = GgufFile.Open(TestModels.PathOf("stories260K.gguf"));
        var tokenizer = new SentencePieceTokenizer(Vocabulary.FromGguf(file));
        Assert.Equal([1], tokenizer.Encode("", addSpecial: true));
        Assert.Equal(1, tokenizer.Encode("Once upon a time", addSpecial: true)[0]);
    }
}
