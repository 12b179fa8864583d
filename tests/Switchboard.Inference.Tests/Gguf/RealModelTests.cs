using Switchboard.Inference.Gguf;

namespace Switchboard.Inference.Tests.Gguf;

public sealed class RealModelTests
{
    [ModelFact]
    public void Stories260K_reads_as_a_five_layer_llama_with_a_512_token_vocab()
    {
        using var file = GgufFile.Open(TestModels.PathOf("stories260K.gguf"));

        Assert.Equal("llama", file.GetString("general.architecture"));
        Assert.Equal(64, file.GetInteger("llama.embedding_length"));
        Assert.Equal(5, file.GetInteger("llama.block_count"));
        Assert.Equal(8, file.GetInteger("llama.attention.head_count"));
        Assert.Equal(4, file.GetInteger("llama.attention.head_count_kv"));
        Assert.Equal("llama", file.GetString("tokenizer.ggml.model"));
        Assert.Equal(512, file.GetArray<string>("tokenizer.ggml.tokens")!.Length);
        var embd = file.GetTensor("token_embd.weight");
        Assert.Equal([64L, 512L], embd.Dimensions);
        Assert.Equal(GgmlType.F32, embd.Type);
        Assert.Equal(5 * 9 + 3, file.Tensors.Count); // 9 per layer + token_embd, output_norm, output
        Assert.All(file.Tensors, t => Assert.InRange(t.Offset + t.ByteSize, file.DataOffset, file.Length));
    }

    [ModelFact]
    public void Tiny_random_llama_has_f16_weights_and_the_full_llama2_vocab()
    {
        using var file = GgufFile.Open(TestModels.PathOf("llama-2-tiny-random.gguf"));

        Assert.Equal(32000, file.GetArray<string>("tokenizer.ggml.tokens")!.Length);
        Assert.Contains(file.Tensors, t => t.Type == GgmlType.F16);
        Assert.Contains(file.Tensors, t => t.Type == GgmlType.F32);
    }

    [ModelFact]
    public void Every_vocab_file_opens_and_names_its_tokenizer()
    {
        var files = Directory.GetFiles(TestModels.PathOf("vocab"), "*.gguf");
        Assert.NotEmpty(files);
        foreach (var path in files)
        {
            using var file = GgufFile.Open(path);
            Assert.False(string.IsNullOrEmpty(file.GetString("tokenizer.ggml.model")), path);
            Assert.NotEmpty(file.GetArray<string>("tokenizer.ggml.tokens")!);
        }
    }

    [ModelFact]
    public void A_real_model_truncated_anywhere_is_a_clean_error()
    {
        var bytes = File.ReadAllBytes(TestModels.PathOf("stories260K.gguf"));
        var dir = Directory.CreateTempSubdirectory("switchboard-cut-");
        try
        {
            // Every offset through the header and tensor table, then a stride through the tensor data.
            using var whole = GgufFile.Open(TestModels.PathOf("stories260K.gguf"));
            var cuts = Enumerable.Range(0, (int)whole.DataOffset + 1)
                .Concat(Enumerable.Range(0, 64).Select(i => (int)(whole.DataOffset + (bytes.Length - whole.DataOffset) * i / 64)))
                .Distinct();
            var path = Path.Combine(dir.FullName, "cut.gguf");
            foreach (var length in cuts)
            {
                if (length >= bytes.Length) continue;
                File.WriteAllBytes(path, bytes[..length]);
                Assert.Throws<GgufException>(() => GgufFile.Open(path).Dispose());
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
