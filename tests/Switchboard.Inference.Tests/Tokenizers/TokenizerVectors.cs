using System.Text;

namespace Switchboard.Inference.Tests.Tokenizers;

/// <summary>llama.cpp's tokenizer test vectors: <c>.inp</c> texts (raw bytes) and the ids llama.cpp produced, per line in <c>.out</c>.</summary>
public static class TokenizerVectors
{
    private static readonly byte[] Separator = Encoding.UTF8.GetBytes("\n__ggml_vocab_test__\n");

    public static IReadOnlyList<(byte[] Input, int[] Expected)> Load(string vocabName)
    {
        var input = File.ReadAllBytes(TestModels.PathOf($"vocab/ggml-vocab-{vocabName}.gguf.inp"));
        var texts = new List<byte[]>();
        var span = input.AsSpan();
        while (true)
        {
            var at = span.IndexOf(Separator);
            if (at < 0) break;
            texts.Add(span[..at].ToArray());
            span = span[(at + Separator.Length)..];
        }
        var expected = File.ReadAllLines(TestModels.PathOf($"vocab/ggml-vocab-{vocabName}.gguf.out"))
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray())
            .ToList();
        Assert.Equal(texts.Count, expected.Count);
        return texts.Zip(expected).ToList();
    }
}
