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

        TokenizerVectors.AssertAllMatch("bert-bge", input => tokenizer.Encode(input));
    }
}
