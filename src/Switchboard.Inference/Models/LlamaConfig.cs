using Switchboard.Inference.Gguf;

namespace Switchboard.Inference.Models;

/// <summary>The hyper-parameters of a llama-family model, from <c>{arch}.*</c> metadata with llama.cpp's defaults.</summary>
public sealed record LlamaConfig(
    string Architecture, int EmbeddingLength, int BlockCount, int HeadCount, int HeadCountKv, int FeedForwardLength,
    int ContextLength, int RopeDimensions, float RopeFreqBase, float RmsEpsilon, bool RopeNeox)
{
    public int HeadDim => EmbeddingLength / HeadCount;
    public int KvDim => HeadDim * HeadCountKv;

    public static LlamaConfig FromGguf(GgufFile file)
    {
        var arch = file.GetString("general.architecture") ?? throw new GgufException($"'{file.Path}' has no general.architecture.");
        if (arch is not ("llama" or "qwen2"))
            throw new NotSupportedException($"Architecture '{arch}' is not supported; llama and qwen2 are.");
        int Required(string key) => (int)(file.GetInteger($"{arch}.{key}") ?? throw new GgufException($"'{file.Path}' has no {arch}.{key}."));
        var embd = Required("embedding_length");
        var heads = Required("attention.head_count");
        if (heads <= 0 || embd % heads != 0) throw new GgufException($"{arch}.embedding_length {embd} is not a multiple of head_count {heads}.");
        var kvHeads = (int)(file.GetInteger($"{arch}.attention.head_count_kv") ?? heads);
        if (kvHeads <= 0 || heads % kvHeads != 0) throw new GgufException($"head_count {heads} is not a multiple of head_count_kv {kvHeads}.");
        return new LlamaConfig(arch, embd, Required("block_count"), heads, kvHeads, Required("feed_forward_length"),
            Required("context_length"),
            (int)(file.GetInteger($"{arch}.rope.dimension_count") ?? embd / heads),
            file.GetFloat($"{arch}.rope.freq_base") ?? 10000f,
            file.GetFloat($"{arch}.attention.layer_norm_rms_epsilon") ?? 1e-5f,
            // llama pairs adjacent dimensions (ggml's NORM mode); qwen2 and most newer models pair the two halves (NEOX).
            RopeNeox: arch != "llama");
    }
}
