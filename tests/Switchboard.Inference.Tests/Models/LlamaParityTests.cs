using Switchboard.Inference.Models;
using Switchboard.Inference.Tokenizers;

namespace Switchboard.Inference.Tests.Models;

/// <summary>Token-for-token parity with llama.cpp on the shared test models (references in ../shared/reference).</summary>
public sealed class LlamaParityTests
{
    private static int ArgMax(ReadOnlySpan<float> logits)
    {
        var best = 0;
        for (var i = 1; i < logits.Length; i++)
            if (logits[i] > logits[best]) best = i;
        return best;
    }

    /// <summary>Greedy decoding from every reference prompt reproduces llama.cpp's output tokens exactly.</summary>
    internal static void AssertGreedyParity(string modelPath, string referenceFile, bool f16Cache = false)
    {
        using var model = LlamaModel.Load(modelPath);
        var cases = TestModels.Reference(referenceFile);
        Assert.True(cases.GetArrayLength() > 0);
        foreach (var item in cases.EnumerateArray())
        {
            var prompt = TestModels.Ints(item.GetProperty("prompt_tokens"));
            var expected = TestModels.Ints(item.GetProperty("output_tokens"));
            var session = model.CreateSession(prompt.Length + expected.Length, f16Cache);
            var logits = ReadOnlySpan<float>.Empty;
            foreach (var token in prompt) logits = session.Evaluate(token);
            var generated = new List<int>();
            for (var step = 0; step < expected.Length; step++)
            {
                var next = ArgMax(logits);
                generated.Add(next);
                if (next != expected[step]) break;
                if (step + 1 < expected.Length) logits = session.Evaluate(next);
            }
            Assert.True(expected.SequenceEqual(generated),
                $"'{item.GetProperty("prompt").GetString()}': diverged at step {generated.Count - 1}: " +
                $"expected [{string.Join(' ', expected)}], got [{string.Join(' ', generated)}]");
        }
    }

    [ModelFact]
    public void Stories260K_greedy_matches_llama_cpp_for_all_prompts() =>
        AssertGreedyParity(TestModels.PathOf("stories260K.gguf"), "stories260K-greedy.json");

    [ModelFact]
    public void Stories260K_greedy_also_matches_with_llama_cpps_default_f16_cache() =>
        AssertGreedyParity(TestModels.PathOf("stories260K.gguf"), "stories260K-greedy.json", f16Cache: true);

    [ModelFact]
    public void Tiny_random_llama_greedy_matches_llama_cpp_through_the_f16_path() =>
        AssertGreedyParity(TestModels.PathOf("llama-2-tiny-random.gguf"), "tiny-random-greedy.json");

    [ModelFact]
    public void First_step_logits_are_within_1e_3_of_llama_cpp_f32()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        foreach (var item in TestModels.Reference("stories260K-logits.json").GetProperty("results").EnumerateArray())
        {
            var session = model.CreateSession(64);
            var logits = ReadOnlySpan<float>.Empty;
            foreach (var token in TestModels.Ints(item.GetProperty("prompt_tokens"))) logits = session.Evaluate(token);
            var expected = item.GetProperty("logits_kv_f32_fa_off").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            Assert.Equal(expected.Length, logits.Length);
            var worst = 0f;
            for (var i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs(expected[i] - logits[i]));
            Assert.True(worst <= 1e-3f, $"'{item.GetProperty("prompt").GetString()}': max |Δlogit| = {worst}");
        }
    }

    [ModelFact]
    public void Mean_pooled_embeddings_are_within_1e_4_of_llama_cpp()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        foreach (var item in TestModels.Reference("stories260K-embeddings.json").GetProperty("results").EnumerateArray())
        {
            var tokens = TestModels.Ints(item.GetProperty("tokens"));
            Assert.Equal(tokens, model.Tokenizer.Encode(item.GetProperty("text").GetString()!, addSpecial: true));
            // The reference ran with llama.cpp's default F16 KV cache.
            var session = model.CreateSession(tokens.Length, f16Cache: true);
            var pooled = new double[model.Config.EmbeddingLength];
            foreach (var token in tokens)
            {
                session.Evaluate(token);
                for (var i = 0; i < pooled.Length; i++) pooled[i] += session.Hidden[i];
            }
            var norm = Math.Sqrt(pooled.Sum(v => v * v));
            var expected = item.GetProperty("embedding").EnumerateArray().Select(v => v.GetDouble()).ToArray();
            var worst = expected.Select((e, i) => Math.Abs(e - pooled[i] / norm)).Max();
            Assert.True(worst <= 1e-4, $"'{item.GetProperty("text").GetString()}': max |Δ| = {worst}");
        }
    }

    [ModelTheory]
    [InlineData("stories260K.gguf", false)]
    [InlineData("stories260K.gguf", true)]
    [InlineData("llama-2-tiny-random.gguf", false)]
    public void Batched_prefill_gives_the_same_logits_and_cache_as_token_by_token(string modelFile, bool f16Cache)
    {
        using var model = LlamaModel.Load(TestModels.PathOf(modelFile));
        var prompt = model.Tokenizer.Encode("Once upon a time there was a little dog", addSpecial: true);
        var sequential = model.CreateSession(prompt.Count + 4, f16Cache);
        var expected = ReadOnlySpan<float>.Empty;
        foreach (var token in prompt) expected = sequential.Evaluate(token);
        var expectedLogits = expected.ToArray();
        var batched = model.CreateSession(prompt.Count + 4, f16Cache);
        var actual = batched.Prefill(prompt.ToArray()).ToArray();

        Assert.Equal(prompt.Count, batched.Position);
        Assert.Equal(expectedLogits.Length, actual.Length);
        for (var i = 0; i < actual.Length; i++) Assert.True(Math.Abs(expectedLogits[i] - actual[i]) <= 1e-5f, $"logit {i}: {expectedLogits[i]} vs {actual[i]}");
        // The caches agree too: the next decoded token sees the same state either way.
        Assert.Equal(sequential.Evaluate(300).ToArray(), batched.Evaluate(300).ToArray());
    }

    [ModelFact]
    public void A_full_context_is_a_clear_error()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        var session = model.CreateSession(2);
        session.Evaluate(1);
        session.Evaluate(403);
        var error = Assert.Throws<InvalidOperationException>(() => session.Evaluate(407));
        Assert.Contains("context of 2 tokens is full", error.Message, StringComparison.Ordinal);
    }
}
