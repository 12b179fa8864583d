using Switchboard.Inference.Gguf;
using Switchboard.Inference.Tokenizers;

namespace Switchboard.Inference.Tests.Tokenizers;

public sealed class ByteLevelBpeTokenizerTests
{
    [ModelTheory]
    [InlineData("gpt-2")]
    [InlineData("starcoder")]
    [InlineData("refact")]
    [InlineData("mpt")]
    [InlineData("falcon")]
    [InlineData("deepseek-llm")]
    [InlineData("deepseek-coder")]
    public void Matches_llama_cpp_on_every_test_vector(string vocabName)
    {
        using var file = GgufFile.Open(TestModels.PathOf($"vocab/ggml-vocab-{vocabName}.gguf"));
        Assert.Equal("gpt2", file.GetString("tokenizer.ggml.model"));
        var tokenizer = new ByteLevelBpeTokenizer(Vocabulary.FromGguf(file), file.GetArray<string>("tokenizer.ggml.merges")!, file.GetString("tokenizer.ggml.pre"));

        TokenizerVectors.AssertAllMatch(vocabName, input => tokenizer.Encode(input, addSpecial: false));
    }
}
