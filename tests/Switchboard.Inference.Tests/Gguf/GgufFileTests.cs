using Switchboard.Inference.Gguf;

namespace Switchboard.Inference.Tests.Gguf;

public sealed class GgufFileTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("switchboard-gguf-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string Write(byte[] bytes, string name = "model.gguf")
    {
        var path = Path.Combine(_dir.FullName, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static GgufBuilder Valid() => new GgufBuilder()
        .String("general.architecture", "llama")
        .UInt32("llama.block_count", 5)
        .Float32("llama.rope.freq_base", 10000f)
        .Bool("tokenizer.ggml.add_bos_token", true)
        .Strings("tokenizer.ggml.tokens", "<unk>", "<s>", "你好")
        .Floats("tokenizer.ggml.scores", 0f, -1.5f, 2f)
        .Tensor("token_embd.weight", 0, 0, 4 * 8 * 3, 8, 3)       // F32 [8, 3]
        .Tensor("blk.0.attn_q.weight", 8, 96, 34 * 2, 32, 2);     // Q8_0 [32, 2]: 2 blocks of 34 bytes

    [Fact]
    public void Reads_typed_metadata_and_tensor_layout()
    {
        using var file = GgufFile.Open(Write(Valid().Build()));

        Assert.Equal(3u, file.Version);
        Assert.Equal("llama", file.GetString("general.architecture"));
        Assert.Equal(5, file.GetInteger("llama.block_count"));
        Assert.Equal(10000f, file.GetFloat("llama.rope.freq_base"));
        Assert.True(file.GetBool("tokenizer.ggml.add_bos_token"));
        Assert.Equal(["<unk>", "<s>", "你好"], file.GetArray<string>("tokenizer.ggml.tokens")!);
        Assert.Equal([0f, -1.5f, 2f], file.GetArray<float>("tokenizer.ggml.scores")!);
        Assert.Null(file.GetString("missing.key"));
        Assert.Throws<GgufException>(() => file.GetString("llama.block_count"));

        var embd = file.GetTensor("token_embd.weight");
        Assert.Equal([8L, 3L], embd.Dimensions);
        Assert.Equal(GgmlType.F32, embd.Type);
        Assert.Equal(96, embd.ByteSize);
        var q = file.GetTensor("blk.0.attn_q.weight");
        Assert.Equal(GgmlType.Q8_0, q.Type);
        Assert.Equal(68, q.ByteSize);
        Assert.Equal(0, file.DataOffset % 32);
        // The bytes come from the right place: the builder fills each tensor with (offset + i).
        Assert.Equal((byte)96, file.GetTensorBytes(q)[0]);
        Assert.Equal((byte)(96 + 67), file.GetTensorBytes(q)[^1]);
    }

    [Fact]
    public void Truncation_at_every_offset_is_a_clean_error()
    {
        var bytes = Valid().Build();
        for (var length = 0; length < bytes.Length; length++)
        {
            var path = Write(bytes[..length], $"cut-{length}.gguf");
            var error = Assert.Throws<GgufException>(() => GgufFile.Open(path).Dispose());
            Assert.False(string.IsNullOrWhiteSpace(error.Message));
        }
    }

    public static TheoryData<string, Func<GgufBuilder, GgufBuilder>, string> Corruptions => new()
    {
        { "wrong magic", b => { b.Magic = 0x4C4C4747; return b; }, "Not a GGUF file" },
        { "version 1", b => { b.Version = 1; return b; }, "version 1" },
        { "version 99", b => { b.Version = 99; return b; }, "Unsupported GGUF version 99" },
        { "big-endian", b => { b.Version = 0x03000000; return b; }, "big-endian" },
        { "absurd tensor count", b => { b.TensorCountOverride = 1UL << 60; return b; }, "tensor count" },
        { "absurd metadata count", b => { b.MetadataCountOverride = 1UL << 62; return b; }, "metadata count" },
        { "absurd string length", b => b.Raw("k", 8, w => { w.Write(ulong.MaxValue - 3); }), "claims" },
        { "absurd array length", b => b.Raw("k", 9, w => { w.Write(6u); w.Write(1UL << 61); }), "length of 'k'" },
        { "nested array", b => b.Raw("k", 9, w => { w.Write(9u); w.Write(1UL); }), "array of arrays" },
        { "unknown value type", b => b.Raw("k", 77, w => { }), "unknown value type 77" },
        { "invalid UTF-8", b => b.Raw("k", 8, w => { w.Write(2UL); w.Write((byte)0xC3); w.Write((byte)0x28); }), "not valid UTF-8" },
        { "duplicate key", b => b.UInt32("dup", 1).UInt32("dup", 2), "appears twice" },
        { "alignment not a power of two", b => { b.Alignment = 24; return b; }, "power-of-two" },
        { "five dimensions", b => b.Tensor("t", 0, 128, 4, 1, 1, 1, 1, 1), "5 dimensions" },
        { "zero dimension", b => b.Tensor("t", 0, 128, 4, 0), "dimension 0 = 0" },
        { "element count overflow", b => b.Tensor("t", 0, 128, 4, 1UL << 40, 1UL << 40), "64 bits" },
        { "unknown tensor type", b => b.Tensor("t", 99, 128, 4, 1), "unsupported type 99" },
        { "partial quant block", b => b.Tensor("t", 8, 128, 34, 33), "first dimension is 33" },
        { "misaligned offset", b => b.Tensor("t", 0, 130, 4, 1), "not a multiple of the alignment" },
        { "overlapping tensors", b => b.Tensor("t", 0, 64, 64, 16), "overlap" },
        { "tensor past the end", b => b.Tensor("t", 0, 1UL << 40, 4, 1), "past the end" },
        { "duplicate tensor name", b => b.Tensor("token_embd.weight", 0, 192, 4, 1), "appears twice" },
        { "overlong tensor name", b => b.Tensor(new string('x', 64), 0, 192, 4, 1), "names must be 1 to 63 bytes" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void Corrupt_files_fail_with_a_message_naming_the_problem(string what, Func<GgufBuilder, GgufBuilder> corrupt, string expected)
    {
        var path = Write(corrupt(Valid()).Build(), what.Replace(' ', '-') + ".gguf");
        var error = Assert.Throws<GgufException>(() => GgufFile.Open(path).Dispose());
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Too_short_and_empty_files_are_clean_errors()
    {
        Assert.Contains("too short", Assert.Throws<GgufException>(() => GgufFile.Open(Write([], "empty.gguf"))).Message, StringComparison.Ordinal);
        Assert.Contains("too short", Assert.Throws<GgufException>(() => GgufFile.Open(Write("GGUF"u8.ToArray(), "four.gguf"))).Message, StringComparison.Ordinal);
    }
}
