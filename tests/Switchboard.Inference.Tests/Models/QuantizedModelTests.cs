using System.Runtime.InteropServices;
using Switchboard.Inference.Gguf;
using Switchboard.Inference.Models;
using Switchboard.Inference.Quantization;
using Switchboard.Inference.Tokenizers;

namespace Switchboard.Inference.Tests.Models;

public sealed class QuantizedModelTests
{
    /// <summary>Rewrites a model with every 2-D F32 weight quantised to Q8_0 (norms stay F32), as llama-quantize would.</summary>
    internal static string QuantizeToQ8_0(string source)
    {
        using var file = GgufFile.Open(source);
        var writer = new GgufWriter();
        foreach (var (key, value) in file.Metadata)
        {
            if (key != "general.alignment") writer.Add(key, value);
        }
        foreach (var tensor in file.Tensors)
        {
            var bytes = file.GetTensorBytes(tensor);
            if (tensor.Type == GgmlType.F32 && tensor.Dimensions.Count == 2 && tensor.Dimensions[0] % 32 == 0)
            {
                var quantized = new byte[tensor.ElementCount / 32 * BlockLayouts.Q8_0Bytes];
                Quantizer.ToQ8_0(MemoryMarshal.Cast<byte, float>(bytes), quantized);
                writer.AddTensor(tensor.Name, GgmlType.Q8_0, [.. tensor.Dimensions], quantized);
            }
            else
            {
                writer.AddTensor(tensor.Name, tensor.Type, [.. tensor.Dimensions], bytes.ToArray());
            }
        }
        var path = Path.Combine(Directory.CreateTempSubdirectory("switchboard-q8-").FullName, "stories260K-q8_0.gguf");
        writer.Write(path);
        return path;
    }

    [ModelFact]
    public void A_q8_0_model_runs_through_the_quantised_kernels_and_stays_close_to_f32()
    {
        var path = QuantizeToQ8_0(TestModels.PathOf("stories260K.gguf"));
        try
        {
            using var f32 = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
            using var q8 = LlamaModel.Load(path);
            Assert.Equal(Switchboard.Inference.Gguf.GgmlType.Q8_0, q8.Blocks[0].Q.Type);

            var prompt = f32.Tokenizer.Encode("Once upon a time", addSpecial: true);
            var a = f32.CreateSession(16);
            var b = q8.CreateSession(16);
            float[] la = [], lb = [];
            foreach (var token in prompt)
            {
                la = a.Evaluate(token).ToArray();
                lb = b.Evaluate(token).ToArray();
            }
            double dot = 0, na = 0, nb = 0;
            for (var i = 0; i < la.Length; i++)
            {
                dot += la[i] * lb[i];
                na += la[i] * la[i];
                nb += lb[i] * lb[i];
            }
            Assert.True(dot / Math.Sqrt(na * nb) > 0.999, $"cosine {dot / Math.Sqrt(na * nb)}");
            Assert.Equal(Array.IndexOf(la, la.Max()), Array.IndexOf(lb, lb.Max()));
            Assert.False(la.SequenceEqual(lb)); // it really took the quantised path

            // Batched prefill (four-vector kernel plus remainder) gives the token-by-token logits.
            var batched = q8.CreateSession(16).Prefill(prompt.ToArray()).ToArray();
            for (var i = 0; i < lb.Length; i++) Assert.True(Math.Abs(lb[i] - batched[i]) <= 1e-5f, $"logit {i}: {lb[i]} vs {batched[i]}");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }
}
