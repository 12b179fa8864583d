using System.Runtime.InteropServices;
using Switchboard.Inference.Gguf;

namespace Switchboard.Inference.Tests.Models;

/// <summary>
/// A qwen2 model with a real vocabulary and random weights: the tokenizer metadata of one of llama.cpp's vocabulary
/// files (a real BPE vocabulary with its merges, specials and pre-tokenizer), a chat template, and one tiny block.
/// What it says is noise; that it loads, tokenises, renders and generates through the real paths is the point.
/// </summary>
public static class TinyBpeModel
{
    /// <param name="vocabFile">One of llama.cpp's vocabulary files (<c>ggml-vocab-NAME.gguf</c>).</param>
    /// <param name="chatTemplate">The Jinja template to carry, or null for none.</param>
    /// <param name="directory">Where to write it (a new temporary directory by default).</param>
    public static string Write(string vocabFile, string? chatTemplate, string? directory = null)
    {
        using var vocab = GgufFile.Open(vocabFile);
        var writer = new GgufWriter();
        writer.Add("general.architecture", "qwen2");
        foreach (var (key, value) in vocab.Metadata)
        {
            if (key.StartsWith("tokenizer.", StringComparison.Ordinal) && key != "tokenizer.chat_template") writer.Add(key, value);
        }
        if (chatTemplate is not null) writer.Add("tokenizer.chat_template", chatTemplate);
        AddWeights(writer, vocab.GetArray<string>("tokenizer.ggml.tokens")!.Length);
        var path = Path.Combine(directory ?? Directory.CreateTempSubdirectory("switchboard-tiny-").FullName, $"tiny-{Path.GetFileNameWithoutExtension(vocabFile).Replace("ggml-vocab-", "", StringComparison.Ordinal)}.gguf");
        writer.Write(path);
        return path;
    }

    /// <summary>The same tiny model with a SentencePiece vocabulary of just <paramref name="tokens"/> (no byte tokens unless listed).</summary>
    public static string WriteSentencePiece(IReadOnlyList<string> tokens, string directory)
    {
        var writer = new GgufWriter();
        writer.Add("general.architecture", "qwen2").Add("tokenizer.ggml.model", "llama")
            .Add("tokenizer.ggml.tokens", new GgufValue(GgufValueType.Array, tokens.ToArray(), GgufValueType.String));
        AddWeights(writer, tokens.Count);
        var path = Path.Combine(directory, "tiny-spm.gguf");
        writer.Write(path);
        return path;
    }

    private static void AddWeights(GgufWriter writer, int vocabSize)
    {
        const int Embd = 32, Heads = 2, KvHeads = 1, FeedForward = 64;
        writer.Add("qwen2.context_length", 512u).Add("qwen2.embedding_length", (uint)Embd).Add("qwen2.block_count", 1u)
            .Add("qwen2.feed_forward_length", (uint)FeedForward).Add("qwen2.attention.head_count", (uint)Heads)
            .Add("qwen2.attention.head_count_kv", (uint)KvHeads).Add("qwen2.attention.layer_norm_rms_epsilon", 1e-6f)
            .Add("qwen2.rope.freq_base", 1000000f);
        var random = new Random(8);
        byte[] Weights(long count, float scale)
        {
            var values = new float[count];
            for (var i = 0; i < values.Length; i++) values[i] = (float)(random.NextDouble() * 2 - 1) * scale;
            return MemoryMarshal.AsBytes(values.AsSpan()).ToArray();
        }
        byte[] Ones(int count) => MemoryMarshal.AsBytes(Enumerable.Repeat(1f, count).ToArray().AsSpan()).ToArray();
        const int KvDim = Embd / Heads * KvHeads;
        writer.AddTensor("token_embd.weight", GgmlType.F32, [Embd, vocabSize], Weights((long)Embd * vocabSize, 0.5f))
            .AddTensor("output_norm.weight", GgmlType.F32, [Embd], Ones(Embd))
            .AddTensor("blk.0.attn_norm.weight", GgmlType.F32, [Embd], Ones(Embd))
            .AddTensor("blk.0.attn_q.weight", GgmlType.F32, [Embd, Embd], Weights(Embd * Embd, 0.2f))
            .AddTensor("blk.0.attn_k.weight", GgmlType.F32, [Embd, KvDim], Weights(Embd * KvDim, 0.2f))
            .AddTensor("blk.0.attn_v.weight", GgmlType.F32, [Embd, KvDim], Weights(Embd * KvDim, 0.2f))
            .AddTensor("blk.0.attn_output.weight", GgmlType.F32, [Embd, Embd], Weights(Embd * Embd, 0.2f))
            .AddTensor("blk.0.ffn_norm.weight", GgmlType.F32, [Embd], Ones(Embd))
            .AddTensor("blk.0.ffn_gate.weight", GgmlType.F32, [Embd, FeedForward], Weights(Embd * FeedForward, 0.2f))
            .AddTensor("blk.0.ffn_up.weight", GgmlType.F32, [Embd, FeedForward], Weights(Embd * FeedForward, 0.2f))
            .AddTensor("blk.0.ffn_down.weight", GgmlType.F32, [FeedForward, Embd], Weights(FeedForward * Embd, 0.2f));
    }
}
