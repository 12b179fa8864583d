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

    /// <summary>Runs every vector of a vocabulary through <paramref name="encode"/> and fails listing each mismatch.</summary>
    public static void AssertAllMatch(string vocabName, Func<byte[], IReadOnlyList<int>> encode)
    {
        var failures = new List<string>();
        foreach (var (input, expected) in Load(vocabName))
        {
            var actual = encode(input);
            if (!actual.SequenceEqual(expected))
                failures.Add($"'{Encoding.UTF8.GetString(input)}': expected [{string.Join(' ', expected)}], got [{string.Join(' ', actual)}]");
        }
        Assert.True(failures.Count == 0, $"{vocabName}: {failures.Count} mismatches:\n{string.Join('\n', failures)}");
    }
}
