using System.Runtime.InteropServices;
using Switchboard.Inference.Gguf;
using Switchboard.Inference.Models;

namespace Switchboard.Inference.Tests.Models;

/// <summary>
/// No qwen2 model is among the shared test models, so one is derived from stories260K. A llama GGUF stores each head's
/// Q and K rows permuted so that rotary pairs are adjacent (2i, 2i+1); Hugging Face's layout, which qwen2 GGUFs keep,
/// pairs the halves (i, i + d/2). Undoing that permutation and declaring the file qwen2 must give the same model, so
/// llama.cpp's stories260K tokens are the reference for the NeoX rotation and the bias tensors' loading.
/// </summary>
public sealed class Qwen2LayoutTests
{
    private static string ConvertToQwen2(string source, Func<string, int, float[]?> bias)
    {
        using var file = GgufFile.Open(source);
        var writer = new GgufWriter();
        foreach (var (key, value) in file.Metadata)
        {
            if (key == "general.alignment") continue;
            if (key == "general.architecture") writer.Add(key, "qwen2");
            else writer.Add(key.StartsWith("llama.", StringComparison.Ordinal) ? "qwen2." + key["llama.".Length..] : key, value);
        }
        var config = LlamaConfig.FromGguf(file);
        foreach (var tensor in file.Tensors)
        {
            var bytes = file.GetTensorBytes(tensor).ToArray();
            var isQ = tensor.Name.EndsWith("attn_q.weight", StringComparison.Ordinal);
            if (isQ || tensor.Name.EndsWith("attn_k.weight", StringComparison.Ordinal))
            {
                Assert.Equal(GgmlType.F32, tensor.Type);
                bytes = Unpermute(bytes, (int)tensor.Dimensions[0], config.HeadDim);
                var name = tensor.Name.Replace(".weight", ".bias", StringComparison.Ordinal);
                var rows = (int)tensor.Dimensions[1];
                if (bias(name, rows) is { } values) writer.AddTensor(name, GgmlType.F32, [rows], MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
            }
            writer.AddTensor(tensor.Name, tensor.Type, [.. tensor.Dimensions], bytes);
            if (tensor.Name.EndsWith("attn_v.weight", StringComparison.Ordinal))
            {
                var name = tensor.Name.Replace(".weight", ".bias", StringComparison.Ordinal);
                var rows = (int)tensor.Dimensions[1];
                if (bias(name, rows) is { } values) writer.AddTensor(name, GgmlType.F32, [rows], MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
            }
        }
        var path = Path.Combine(Directory.CreateTempSubdirectory("switchboard-qwen2-").FullName, "stories260K-qwen2.gguf");
        writer.Write(path);
        return path;
    }

    /// <summary>Row 2i+j of each head (llama's order) becomes row j·d/2 + i (Hugging Face's).</summary>
    private static byte[] Unpermute(byte[] weights, int columns, int headDim)
    {
        var rowBytes = columns * 4;
        var result = new byte[weights.Length];
        var half = headDim / 2;
        for (var row = 0; row < weights.Length / rowBytes; row++)
        {
            int head = row / headDim, local = row % headDim;
            var target = head * headDim + local % 2 * half + local / 2;
            weights.AsSpan(row * rowBytes, rowBytes).CopyTo(result.AsSpan(target * rowBytes));
        }
        return result;
    }

    [ModelFact]
    public void A_qwen2_layout_of_stories260K_with_zero_biases_reproduces_llama_cpps_tokens()
    {
        var path = ConvertToQwen2(TestModels.PathOf("stories260K.gguf"), (_, rows) => new float[rows]);
        try
        {
            using (var model = LlamaModel.Load(path))
            {
                Assert.True(model.Config.RopeNeox);
                Assert.NotNull(model.Blocks[0].QBias);
                Assert.NotNull(model.Blocks[0].VBias);
            }
            LlamaParityTests.AssertGreedyParity(path, "stories260K-greedy.json");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [ModelFact]
    public void Query_and_key_biases_act_only_through_the_scores_and_value_biases_through_the_values()
    {
        // At position 0 a head attends to one key with weight exactly 1, whatever its score: Q/K biases cannot change
        // the first token's logits, but must change the second's; a V bias changes the first token's already.
        float[] Random(int rows, int seed) => Enumerable.Range(0, rows).Select(i => (float)Math.Sin(seed * 1000 + i)).ToArray();
        var plain = ConvertToQwen2(TestModels.PathOf("stories260K.gguf"), (_, rows) => new float[rows]);
        var scoresOnly = ConvertToQwen2(TestModels.PathOf("stories260K.gguf"), (name, rows) =>
            name.Contains("attn_v", StringComparison.Ordinal) ? new float[rows] : Random(rows, name.Length));
        var valuesOnly = ConvertToQwen2(TestModels.PathOf("stories260K.gguf"), (name, rows) =>
            name.Contains("attn_v", StringComparison.Ordinal) ? Random(rows, 7) : new float[rows]);
        try
        {
            float[][] TwoSteps(string path)
            {
                using var model = LlamaModel.Load(path);
                var session = model.CreateSession(4);
                return [session.Evaluate(1).ToArray(), session.Evaluate(400).ToArray()];
            }
            var a = TwoSteps(plain);
            var qk = TwoSteps(scoresOnly);
            var v = TwoSteps(valuesOnly);
            Assert.Equal(a[0], qk[0]);
            Assert.NotEqual(a[1], qk[1]);
            Assert.NotEqual(a[0], v[0]);
        }
        finally
        {
            foreach (var path in new[] { plain, scoresOnly, valuesOnly }) Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }
}
