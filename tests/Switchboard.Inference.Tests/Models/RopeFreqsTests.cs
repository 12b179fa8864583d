using System.Runtime.InteropServices;
using Switchboard.Inference.Generation;
using Switchboard.Inference.Gguf;
using Switchboard.Inference.Models;
using Switchboard.Inference.Sampling;
using Switchboard.Inference.Tokenizers;

namespace Switchboard.Inference.Tests.Models;

/// <summary>
/// Llama 3.1+ files carry <c>rope_freqs.weight</c>: one factor per rotary pair that divides its angle. Factors of 1
/// must leave stories260K token-exact with llama.cpp; other factors must change what it says.
/// </summary>
public sealed class RopeFreqsTests
{
    private static string WithRopeFreqs(float[] factors)
    {
        using var file = GgufFile.Open(TestModels.PathOf("stories260K.gguf"));
        var writer = new GgufWriter();
        foreach (var (key, value) in file.Metadata)
        {
            if (key != "general.alignment") writer.Add(key, value);
        }
        foreach (var tensor in file.Tensors) writer.AddTensor(tensor.Name, tensor.Type, [.. tensor.Dimensions], file.GetTensorBytes(tensor).ToArray());
        writer.AddTensor("rope_freqs.weight", GgmlType.F32, [factors.Length], MemoryMarshal.AsBytes(factors.AsSpan()).ToArray());
        var path = Path.Combine(Directory.CreateTempSubdirectory("switchboard-rope-").FullName, "stories260K-rope-freqs.gguf");
        writer.Write(path);
        return path;
    }

    private static int Pairs()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        return model.Config.RopeDimensions / 2;
    }

    [ModelFact]
    public void Factors_of_one_keep_llama_cpps_tokens()
    {
        var path = WithRopeFreqs(Enumerable.Repeat(1f, Pairs()).ToArray());
        try
        {
            LlamaParityTests.AssertGreedyParity(path, "stories260K-greedy.json");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [ModelFact]
    public async Task Other_factors_change_the_rotation_and_a_wrong_count_is_refused()
    {
        var pairs = Pairs();
        var path = WithRopeFreqs([.. Enumerable.Range(0, pairs).Select(p => p < pairs / 2 ? 1f : 8f)]);
        var wrong = WithRopeFreqs([1f, 1f, 1f]);
        try
        {
            async Task<List<int>> GreedyAsync(string file)
            {
                using var model = LlamaModel.Load(file);
                var prompt = model.Tokenizer.Encode("Once upon a time", addSpecial: true);
                var tokens = new List<int>();
                var options = new GenerationOptions { MaxTokens = 48, Sampling = SamplingOptions.Greedy };
                await foreach (var token in Generator.GenerateAsync(model, model.CreateSession(prompt.Count + 48), prompt, options)) tokens.Add(token.Id);
                return tokens;
            }
            Assert.NotEqual(await GreedyAsync(TestModels.PathOf("stories260K.gguf")), await GreedyAsync(path));
            var error = Assert.Throws<GgufException>(() => LlamaModel.Load(wrong));
            Assert.Contains("rope_freqs.weight has 3 factors", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
            Directory.Delete(Path.GetDirectoryName(wrong)!, recursive: true);
        }
    }
}
