using System.Text;
using Switchboard.Inference.Generation;
using Switchboard.Inference.Models;
using Switchboard.Inference.Sampling;
using Switchboard.Inference.Tokenizers;

namespace Switchboard.Inference.Tests.Generation;

public sealed class GenerationTests
{
    private static async Task<List<GeneratedToken>> Run(LlamaModel model, string prompt, GenerationOptions options, CancellationToken token = default)
    {
        var tokens = model.Tokenizer.Encode(prompt, addSpecial: true);
        var session = model.CreateSession(tokens.Count + options.MaxTokens);
        var output = new List<GeneratedToken>();
        await foreach (var t in Generator.GenerateAsync(model, session, tokens, options, token)) output.Add(t);
        return output;
    }

    [ModelTheory]
    [InlineData("stories260K.gguf", "stories260K-greedy.json")]
    [InlineData("llama-2-tiny-random.gguf", "tiny-random-greedy.json")]
    public void Decoding_the_reference_tokens_gives_llama_cpps_text(string modelFile, string referenceFile)
    {
        using var model = LlamaModel.Load(TestModels.PathOf(modelFile));
        foreach (var item in TestModels.Reference(referenceFile).EnumerateArray())
            Assert.Equal(item.GetProperty("output_text").GetString(), model.Tokenizer.Decode(TestModels.Ints(item.GetProperty("output_tokens"))));
    }

    [Fact]
    public void Utf8_is_only_emitted_whole()
    {
        var bytes = Encoding.UTF8.GetBytes("a你好");
        var assembler = new Utf8Assembler();
        Assert.Equal("a", assembler.Append(bytes.AsSpan(0, 2)));   // 'a' and the first byte of 你
        Assert.Equal("", assembler.Append(bytes.AsSpan(2, 1)));    // still partial
        Assert.Equal("你", assembler.Append(bytes.AsSpan(3, 2)));  // completes 你, starts 好
        Assert.Equal("好", assembler.Append(bytes.AsSpan(5, 2)));
        Assert.Equal("", assembler.Flush());
        var broken = new Utf8Assembler();
        Assert.Equal("", broken.Append([0xE4]));
        Assert.Equal("\uFFFD", broken.Flush());
    }

    [ModelFact]
    public async Task Greedy_generation_streams_the_reference_tokens_and_text_and_stops_for_length()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        var reference = TestModels.Reference("stories260K-greedy.json")[0];
        var output = await Run(model, reference.GetProperty("prompt").GetString()!, new GenerationOptions { MaxTokens = 64, Sampling = SamplingOptions.Greedy });

        Assert.Equal(TestModels.Ints(reference.GetProperty("output_tokens")), output.Select(t => t.Id));
        Assert.Equal(reference.GetProperty("output_text").GetString(), string.Concat(output.Select(t => t.Text)));
        Assert.Equal(FinishReason.Length, output[^1].Finish);
        Assert.All(output.SkipLast(1), t => Assert.Null(t.Finish));
    }

    [ModelFact]
    public async Task Seeded_sampling_is_reproducible_and_top_k_1_is_greedy()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        var sampled = new SamplingOptions { Temperature = 1.2f, TopP = 0.95f, MinP = 0.01f, Seed = 42 };
        var a = await Run(model, "Once upon a time", new GenerationOptions { MaxTokens = 24, Sampling = sampled });
        var b = await Run(model, "Once upon a time", new GenerationOptions { MaxTokens = 24, Sampling = sampled });
        var c = await Run(model, "Once upon a time", new GenerationOptions { MaxTokens = 24, Sampling = sampled with { Seed = 7 } });
        Assert.Equal(a.Select(t => t.Id), b.Select(t => t.Id));
        Assert.NotEqual(a.Select(t => t.Id), c.Select(t => t.Id));

        var greedy = await Run(model, "Once upon a time", new GenerationOptions { MaxTokens = 24, Sampling = SamplingOptions.Greedy });
        var topK1 = await Run(model, "Once upon a time", new GenerationOptions { MaxTokens = 24, Sampling = new SamplingOptions { TopK = 1, Seed = 3 } });
        Assert.Equal(greedy.Select(t => t.Id), topK1.Select(t => t.Id));
    }

    [ModelFact]
    public async Task Logit_bias_can_forbid_and_force_tokens()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        var greedy = await Run(model, "Once upon a time", new GenerationOptions { MaxTokens = 1, Sampling = SamplingOptions.Greedy });
        var first = greedy[0].Id;
        var forbidden = await Run(model, "Once upon a time", new GenerationOptions
        {
            MaxTokens = 1,
            Sampling = SamplingOptions.Greedy with { LogitBias = new Dictionary<int, float> { [first] = -100 } },
        });
        Assert.NotEqual(first, forbidden[0].Id);
        var forced = await Run(model, "Once upon a time", new GenerationOptions
        {
            MaxTokens = 3,
            Sampling = new SamplingOptions { Seed = 1, LogitBias = new Dictionary<int, float> { [300] = 100 } },
        });
        Assert.All(forced, t => Assert.Equal(300, t.Id));
    }

    [ModelFact]
    public async Task Repetition_penalties_change_what_greedy_repeats()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        var plain = await Run(model, "Once upon a time", new GenerationOptions { MaxTokens = 48, Sampling = SamplingOptions.Greedy });
        var penalised = await Run(model, "Once upon a time", new GenerationOptions
        {
            MaxTokens = 48,
            Sampling = SamplingOptions.Greedy with { FrequencyPenalty = 1.5f, PresencePenalty = 0.5f },
        });
        Assert.NotEqual(plain.Select(t => t.Id), penalised.Select(t => t.Id));
        Assert.True(penalised.Select(t => t.Id).Distinct().Count() > plain.Select(t => t.Id).Distinct().Count());
    }

    [ModelFact]
    public async Task Cancellation_stops_the_stream_and_an_oversized_request_is_refused()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        using var cts = new CancellationTokenSource();
        var prompt = model.Tokenizer.Encode("Once upon a time", addSpecial: true);
        var session = model.CreateSession(prompt.Count + 64);
        var seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in Generator.GenerateAsync(model, session, prompt, new GenerationOptions { MaxTokens = 64 }, cts.Token))
            {
                if (++seen == 2) await cts.CancelAsync();
            }
        });
        Assert.Equal(2, seen);

        var small = model.CreateSession(8);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(async () =>
        {
            await foreach (var _ in Generator.GenerateAsync(model, small, prompt, new GenerationOptions { MaxTokens = 16 })) { }
        });
        Assert.Contains("exceeds the context of 8 tokens", error.Message, StringComparison.Ordinal);
    }

    [ModelFact]
    public void A_cancelled_prefill_stops_between_layers()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        var session = model.CreateSession(64);
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => session.Prefill([1, 403, 407], cancelled.Token).ToArray());
    }
}
