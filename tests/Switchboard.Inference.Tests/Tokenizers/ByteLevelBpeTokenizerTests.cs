using System.Text;
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
        var tokenizer = new ByteLevelBpeTokenizer(Vocabulary.FromGguf(file), file.GetArray<string>("tokenizer.ggml.merges")!, file.GetString("tokenizer.ggml.pre"), file.GetArray<int>("tokenizer.ggml.token_type"));

        var failures = new List<string>();
        foreach (var (input, expected) in TokenizerVectors.Load(vocabName))
        {
            var actual = tokenizer.Encode(input, addSpecial: false);
            if (!actual.SequenceEqual(expected))
                failures.Add($"'{Encoding.UTF8.GetString(input)}': expected [{string.Join(' ', expected)}], got [{string.Join(' ', actual)}]");
        }
        Assert.True(failures.Count == 0, $"{vocabName}: {failures.Count} mismatches:\n{string.Join('\n', failures)}");
    }
}
