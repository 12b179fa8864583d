using System.Threading.Channels;
using Switchboard.Inference.Generation;
using Switchboard.Inference.Models;
using Switchboard.Inference.Sampling;
using Switchboard.Inference.Tests.Models;
using Switchboard.Inference.Tokenizers;

namespace Switchboard.Inference.Tests.Generation;

public sealed class BatchedGeneratorTests
{
    private static readonly string[] Prompts =
    [
        "Once upon a time", "The little dog", "Lily and Tom went to the park. They saw a big", "One day",
        "Sam had a red ball", "The sun was", "Mom said", "There was a girl named Sue. She liked to play with her",
    ];

    private static async Task<List<GeneratedToken>> Alone(LlamaModel model, List<int> prompt, GenerationOptions options)
    {
        var output = new List<GeneratedToken>();
        await foreach (var token in Generator.GenerateAsync(model, model.CreateSession(prompt.Count + options.MaxTokens), prompt, options)) output.Add(token);
        return output;
    }

    private static async Task<List<GeneratedToken>> ReadAll(ChannelReader<GeneratedToken> reader, CancellationToken cancellationToken = default)
    {
        var output = new List<GeneratedToken>();
        await foreach (var token in reader.ReadAllAsync(cancellationToken)) output.Add(token);
        return output;
    }

    private static GenerationOptions Options(int i, int maxTokens) => new()
    {
        MaxTokens = maxTokens,
        // Half greedy, half sampled with their own seeds: the sampler's state must stay with its sequence too.
        Sampling = i % 2 == 0 ? SamplingOptions.Greedy : new SamplingOptions { Temperature = 0.9f, TopP = 0.95f, Seed = (ulong)(100 + i) },
        TopLogprobs = i == 1 ? 3 : null,
    };

    [ModelTheory]
    [InlineData(false)]
    [InlineData(true)]
    public void One_pass_over_several_sequences_gives_each_the_logits_it_gets_alone(bool q8)
    {
        var path = q8 ? QuantizedModelTests.QuantizeToQ8_0(TestModels.PathOf("stories260K.gguf")) : TestModels.PathOf("stories260K.gguf");
        try
        {
            using var model = LlamaModel.Load(path);
            var prompts = Prompts.Take(5).Select(p => model.Tokenizer.Encode(p, addSpecial: true).ToArray()).ToArray();
            var alone = prompts.Select(_ => model.CreateSession(64)).ToArray();
            var together = prompts.Select(_ => model.CreateSession(64)).ToArray();
            var expected = new float[prompts.Length][];
            for (var i = 0; i < prompts.Length; i++)
            {
                foreach (var token in prompts[i]) expected[i] = alone[i].Evaluate(token).ToArray();
            }
            // Prompts of different lengths in one pass (so rows sit at different positions), logits for all but the middle one.
            var logits = new float[prompts.Length * model.LogitCount];
            model.Forward(prompts.Select((p, i) => new SequenceStep(together[i], p, WantLogits: i != 2)).ToArray(), logits);
            var row = 0;
            for (var i = 0; i < prompts.Length; i++)
            {
                Assert.Equal(prompts[i].Length, together[i].Position);
                if (i != 2) Assert.Equal(expected[i], logits.AsSpan(row++ * model.LogitCount, model.LogitCount).ToArray());
            }
            // Then a decode step: one token each, every sequence at its own position.
            for (var i = 0; i < prompts.Length; i++) expected[i] = alone[i].Evaluate(7 + i).ToArray();
            model.Forward(together.Select((s, i) => new SequenceStep(s, new[] { 7 + i })).ToArray(), logits);
            for (var i = 0; i < prompts.Length; i++)
                Assert.Equal(expected[i], logits.AsSpan(i * model.LogitCount, model.LogitCount).ToArray());
        }
        finally
        {
            if (q8) Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [ModelFact]
    public void A_pass_refuses_a_session_twice_and_tokens_past_the_context()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        var session = model.CreateSession(4);
        var logits = new float[2 * model.LogitCount];
        Assert.Throws<ArgumentException>(() => model.Forward([new SequenceStep(session, new[] { 1 }), new SequenceStep(session, new[] { 2 })], logits));
        Assert.Throws<InvalidOperationException>(() => model.Forward([new SequenceStep(session, new[] { 1, 2, 3, 4, 5 })], logits));
        Assert.Equal(0, session.Position);
    }

    [ModelFact]
    public async Task Eight_generations_at_once_give_exactly_what_each_gives_alone()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        var prompts = Prompts.Select(p => model.Tokenizer.Encode(p, addSpecial: true)).ToArray();
        var expected = new List<GeneratedToken>[prompts.Length];
        for (var i = 0; i < prompts.Length; i++) expected[i] = await Alone(model, prompts[i], Options(i, 40 + 3 * i));

        using var batched = new BatchedGenerator(model);
        var readers = prompts.Select((p, i) => batched.Start(p, Options(i, 40 + 3 * i))).ToArray();
        var actual = await Task.WhenAll(readers.Select(r => ReadAll(r)));

        for (var i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(expected[i].Select(t => t.Id), actual[i].Select(t => t.Id));
            Assert.Equal(string.Concat(expected[i].Select(t => t.Text)), string.Concat(actual[i].Select(t => t.Text)));
            Assert.Equal(expected[i][^1].Finish, actual[i][^1].Finish);
        }
        Assert.Equal(expected[1].Select(t => t.Logprobs!.Logprob), actual[1].Select(t => t.Logprobs!.Logprob));
        Assert.Equal(0, batched.ActiveSequences);
    }

    [ModelFact]
    public async Task A_prompt_taken_in_chunks_beside_decoding_sequences_gives_the_same_tokens()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        var longPrompt = model.Tokenizer.Encode(string.Join(" ", Prompts), addSpecial: true);
        var shortPrompt = model.Tokenizer.Encode(Prompts[0], addSpecial: true);
        var options = new GenerationOptions { MaxTokens = 30, Sampling = SamplingOptions.Greedy };
        var expectedLong = await Alone(model, longPrompt, options);
        var expectedShort = await Alone(model, shortPrompt, options);

        // Three prompt tokens per step: the long prompt takes many steps, in which the short one keeps decoding.
        using var batched = new BatchedGenerator(model, prefillChunk: 3);
        var first = batched.Start(shortPrompt, options);
        var second = batched.Start(longPrompt, options);
        var results = await Task.WhenAll(ReadAll(first), ReadAll(second));
        Assert.Equal(expectedShort.Select(t => t.Id), results[0].Select(t => t.Id));
        Assert.Equal(expectedLong.Select(t => t.Id), results[1].Select(t => t.Id));
    }

    [ModelFact]
    public async Task A_reader_that_stops_reading_pauses_only_its_own_sequence()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        var options = new GenerationOptions { MaxTokens = 100, Sampling = SamplingOptions.Greedy };
        var stalledPrompt = model.Tokenizer.Encode(Prompts[0], addSpecial: true);
        var otherPrompt = model.Tokenizer.Encode(Prompts[1], addSpecial: true);
        var expected = await Alone(model, stalledPrompt, options);

        using var batched = new BatchedGenerator(model);
        var stalled = batched.Start(stalledPrompt, options);
        var other = batched.Start(otherPrompt, options);
        // The other finishes its 100 tokens while nobody reads the first (which can run at most a channel's worth ahead).
        using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var otherTokens = await ReadAll(other, deadline.Token);
        Assert.Equal(100, otherTokens.Count);
        Assert.Equal(1, batched.ActiveSequences);

        Assert.Equal(expected.Select(t => t.Id), (await ReadAll(stalled)).Select(t => t.Id));
        Assert.Equal(0, batched.ActiveSequences);
    }

    [ModelFact]
    public async Task A_cancelled_generation_ends_with_its_cancellation_and_the_others_go_on()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        var options = new GenerationOptions { MaxTokens = 60, Sampling = SamplingOptions.Greedy };
        var keptPrompt = model.Tokenizer.Encode(Prompts[2], addSpecial: true);
        var expected = await Alone(model, keptPrompt, options);

        using var batched = new BatchedGenerator(model);
        using var leaving = new CancellationTokenSource();
        var cancelled = batched.Start(model.Tokenizer.Encode(Prompts[3], addSpecial: true), options, leaving.Token);
        var kept = batched.Start(keptPrompt, options);
        await cancelled.ReadAsync();
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ReadAll(cancelled));
        Assert.Equal(expected.Select(t => t.Id), (await ReadAll(kept)).Select(t => t.Id));
        Assert.Equal(0, batched.ActiveSequences);
    }

    [ModelFact]
    public async Task Disposing_ends_the_sequences_still_running_and_refuses_new_ones()
    {
        using var model = LlamaModel.Load(TestModels.PathOf("stories260K.gguf"));
        var prompt = model.Tokenizer.Encode(Prompts[0], addSpecial: true);
        var batched = new BatchedGenerator(model);
        var running = batched.Start(prompt, new GenerationOptions { MaxTokens = 200 });
        await running.ReadAsync();
        batched.Dispose();
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ReadAll(running));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ReadAll(batched.Start(prompt, new GenerationOptions { MaxTokens = 5 })));
        Assert.Equal(0, batched.ActiveSequences);
        Assert.Throws<InvalidOperationException>(() => batched.Start(prompt, new GenerationOptions { MaxTokens = model.Config.ContextLength }));
    }
}
