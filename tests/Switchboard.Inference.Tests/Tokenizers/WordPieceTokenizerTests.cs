using System.Text;
using Switchboard.Inference.Gguf;
using Switchboard.Inference.Tokenizers;

namespace Switchboard.Inference.Tests.Tokenizers;

public sealed class WordPieceTokenizerTests
{
    [ModelFact]
    public void Bert_bge_matches_llama_cpp_on_every_test_vector()
    {
        using var file = GgufFile.Open(TestModels.PathOf("vocab/ggml-vocab-bert-bge.gguf"));
        Assert.Equal("bert", file.GetString("tokenizer.ggml.model"));
        var tokenizer = new WordPieceTokenizer(Vocabulary.FromGguf(file), (int)file.GetInteger("tokenizer.ggml.unknown_token_id")!);

        var failures = new List<string>();
        foreach (var (input, expected) in TokenizerVectors.Load("bert-bge"))
        {
            var actual = tokenizer.Encode(input);
            if (!actual.SequenceEqual(expected))
                failures.Add($"'{Encoding.UTF8.GetString(input)}': expected [{string.Join(' ', expected)}], got [{string.Join(' ', actual)}]");
        }
        Assert.True(failures.Count == 0, $"{failures.Count} mismatches:\n{string.Join('\n', failures)}");
    }
}
