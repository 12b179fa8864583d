using System.Text.Json;
using OpenAI.Chat;
using Switchboard.Inference.Tests;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.LocalModels;

/// <summary>JSON mode on a local model: the sampler is masked so every answer is a JSON object, through a real gateway and the official SDK.</summary>
public sealed class JsonModeTests
{
    [ModelFact]
    public async Task Thirty_seeds_at_temperature_one_all_give_a_json_object_even_when_the_token_budget_closes_it_and_streaming_agrees()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:Local:ModelsDirectory"] = TestModels.Directory });
        var chat = gateway.Sdk().GetChatClient("local/stories260K");
        List<ChatMessage> messages = [new UserChatMessage("Describe a cat as JSON.")];
        for (var seed = 1; seed <= 30; seed++)
        {
            var options = new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat(), Temperature = 1f, MaxOutputTokenCount = 200 };
#pragma warning disable OPENAI001
            options.Seed = seed;
#pragma warning restore OPENAI001
            var answer = (await chat.CompleteChatAsync(messages, options)).Value;
            // Closed by the model or, near max_tokens, by the constraint: a whole JSON object either way.
            using var document = JsonDocument.Parse(answer.Content[0].Text);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
        }

        var greedy = new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat(), Temperature = 0f, MaxOutputTokenCount = 120 };
        var whole = (await chat.CompleteChatAsync(messages, greedy)).Value.Content[0].Text;
        var streamed = new System.Text.StringBuilder();
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, greedy))
            foreach (var part in update.ContentUpdate) streamed.Append(part.Text);
        Assert.Equal(whole, streamed.ToString());
        using (var parsed = JsonDocument.Parse(whole)) Assert.Equal(JsonValueKind.Object, parsed.RootElement.ValueKind);
    }

    [ModelFact]
    public async Task A_random_model_with_a_real_152k_bpe_vocabulary_gives_json_objects_on_thirty_seeds()
    {
        var models = Directory.CreateTempSubdirectory("switchboard-json-bpe-").FullName;
        var file = Switchboard.Inference.Tests.Models.TinyBpeModel.Write(Path.Combine(TestModels.Directory!, "vocab", "ggml-vocab-qwen2.gguf"), null, models);
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:Local:ModelsDirectory"] = models });
        var chat = gateway.Sdk().GetChatClient("local/" + Path.GetFileNameWithoutExtension(file));
        List<ChatMessage> messages = [new UserChatMessage("Give me a JSON object about cats.")];
        var texts = new HashSet<string>();
        for (var seed = 1; seed <= 30; seed++)
        {
            var options = new ChatCompletionOptions { ResponseFormat = ChatResponseFormat.CreateJsonObjectFormat(), Temperature = 1f, MaxOutputTokenCount = 60 };
#pragma warning disable OPENAI001
            options.Seed = seed;
#pragma warning restore OPENAI001
            var text = (await chat.CompleteChatAsync(messages, options)).Value.Content[0].Text;
            using var document = JsonDocument.Parse(text);
            Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            texts.Add(text);
        }
        // Noise from random weights, but different noise per seed: the constraint shapes the answers, it does not pick them.
        Assert.True(texts.Count > 20, $"only {texts.Count} distinct answers from 30 seeds");
    }
}
