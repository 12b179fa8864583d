using Switchboard.Inference.Generation;
using Switchboard.Inference.Models;
using Switchboard.Inference.Sampling;
using Switchboard.Inference.Tokenizers;
using Switchboard.Inference.Tests.Tokenizers;

namespace Switchboard.Inference.Tests.Models;

/// <summary>A model with a byte-level BPE vocabulary (Qwen2's, Llama 3's) loads with that tokenizer and generates.</summary>
public sealed class BpeModelTests
{
    [ModelTheory]
    [InlineData("qwen2")]
    [InlineData("llama-bpe")]
    public async Task A_bpe_model_tokenises_as_its_vocabulary_says_and_generates(string vocabName)
    {
        var path = TinyBpeModel.Write(TestModels.PathOf($"vocab/ggml-vocab-{vocabName}.gguf"), chatTemplate: null);
        try
        {
            using var model = LlamaModel.Load(path);
            Assert.IsType<ByteLevelBpeTokenizer>(model.Tokenizer);
            TokenizerVectors.AssertAllMatch(vocabName, input => model.Tokenizer.Encode(input, addSpecial: false));

            var prompt = model.Tokenizer.Encode("Hello, world", addSpecial: true);
            async Task<List<GeneratedToken>> GreedyAsync()
            {
                var session = model.CreateSession(128);
                var options = new GenerationOptions { MaxTokens = 12, Sampling = SamplingOptions.Greedy };
                var tokens = new List<GeneratedToken>();
                await foreach (var token in Generator.GenerateAsync(model, session, prompt, options)) tokens.Add(token);
                return tokens;
            }
            var first = await GreedyAsync();
            Assert.InRange(first.Count, 1, 12);
            Assert.NotNull(first[^1].Finish);
            Assert.Equal(first.Select(t => t.Id), (await GreedyAsync()).Select(t => t.Id));
            // The text streamed token by token is the decoding of the tokens (specials print as nothing).
            Assert.Equal(model.Tokenizer.Decode(first.Select(t => t.Id)), string.Concat(first.Select(t => t.Text)));
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [ModelFact]
    public async Task A_qwen2_vocabulary_with_qwen25s_template_renders_tokenises_and_generates_end_to_end()
    {
        var template = await File.ReadAllTextAsync(TestModels.PathOf("templates/Qwen-Qwen2.5-7B-Instruct.jinja"));
        var path = TinyBpeModel.Write(TestModels.PathOf("vocab/ggml-vocab-qwen2.gguf"), template);
        try
        {
            using var model = LlamaModel.Load(path);
            Assert.True(model.Chat.HasOwnTemplate);
            var prompt = model.Chat.Tokens([new("user", "Hello, 世界!")]);
            // Qwen2.5's documented format, written out by hand; its default system message included.
            const string Expected = "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
                + "<|im_start|>user\nHello, 世界!<|im_end|>\n<|im_start|>assistant\n";
            Assert.Equal(model.Tokenizer.Encode(Expected, addSpecial: true, parseSpecial: true), prompt);
            Assert.True(model.Vocabulary.TryGetId("<|im_start|>", out var start));
            Assert.Equal(start, prompt[0]);
            Assert.Equal(3, prompt.Count(t => t == start));

            var tokens = new List<GeneratedToken>();
            var options = new GenerationOptions { MaxTokens = 8, Sampling = SamplingOptions.Greedy };
            await foreach (var token in Generator.GenerateAsync(model, model.CreateSession(prompt.Count + 8), prompt, options)) tokens.Add(token);
            Assert.InRange(tokens.Count, 1, 8);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(path)!, recursive: true);
        }
    }

    [ModelFact]
    public void A_model_file_reached_through_a_symbolic_link_loads()
    {
        var directory = Directory.CreateTempSubdirectory("switchboard-link-").FullName;
        try
        {
            var link = Path.Combine(directory, "linked.gguf");
            File.CreateSymbolicLink(link, TestModels.PathOf("stories260K.gguf"));
            using var model = LlamaModel.Load(link);
            Assert.Equal("llama", model.Config.Architecture);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
