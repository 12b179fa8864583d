using System.ClientModel;
using System.Text.Json;
using Json.Schema;
using OpenAI.Chat;
using Switchboard.Inference.Tests;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.LocalModels;

/// <summary>
/// Structured outputs on a local model: <c>response_format</c> <c>json_schema</c> masks the sampler so every answer is
/// a value of the schema, checked with JsonSchema.Net, through a real gateway and the official SDK.
/// </summary>
public sealed class JsonSchemaTests
{
    private const string Cat = """
        {"type":"object","properties":{
          "name":{"type":"string","maxLength":12},
          "age":{"type":"integer"},
          "mood":{"enum":["calm","hungry","asleep"]},
          "toys":{"type":"array","items":{"$ref":"#/$defs/toy"},"maxItems":3},
          "owner":{"anyOf":[{"type":"string","minLength":1},{"type":"null"}]}
        },
        "required":["name","age","mood","toys","owner"],"additionalProperties":false,
        "$defs":{"toy":{"type":"object","properties":{"kind":{"type":"string","maxLength":8},"squeaks":{"type":"boolean"}},"required":["kind","squeaks"],"additionalProperties":false}}}
        """;

    private static ChatCompletionOptions Options(int? seed, float temperature, int maxTokens, bool strict = true) => new()
    {
        ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("cat", BinaryData.FromString(Cat), jsonSchemaIsStrict: strict),
        Temperature = temperature,
        MaxOutputTokenCount = maxTokens,
#pragma warning disable OPENAI001
        Seed = seed,
#pragma warning restore OPENAI001
    };

    private static void AssertValid(string text)
    {
        using var document = JsonDocument.Parse(text);
        var result = JsonSchema.FromText(Cat).Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, $"{text} does not validate");
    }

    [ModelFact]
    public async Task Thirty_seeds_at_temperature_one_all_give_values_of_the_schema_and_streaming_agrees()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:Local:ModelsDirectory"] = TestModels.Directory });
        var chat = gateway.Sdk().GetChatClient("local/stories260K");
        List<ChatMessage> messages = [new UserChatMessage("Describe a cat.")];
        for (var seed = 1; seed <= 30; seed++)
        {
            var answer = (await chat.CompleteChatAsync(messages, Options(seed, 1f, 200))).Value;
            AssertValid(answer.Content[0].Text);
        }

        var greedy = Options(null, 0f, 150);
        var whole = (await chat.CompleteChatAsync(messages, greedy)).Value.Content[0].Text;
        var streamed = new System.Text.StringBuilder();
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, greedy))
            foreach (var part in update.ContentUpdate) streamed.Append(part.Text);
        Assert.Equal(whole, streamed.ToString());
        AssertValid(whole);
    }

    [ModelFact]
    public async Task A_random_model_with_a_real_152k_bpe_vocabulary_gives_values_of_the_schema_on_thirty_seeds()
    {
        var models = Directory.CreateTempSubdirectory("switchboard-schema-bpe-").FullName;
        var file = Switchboard.Inference.Tests.Models.TinyBpeModel.Write(Path.Combine(TestModels.Directory!, "vocab", "ggml-vocab-qwen2.gguf"), null, models);
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:Local:ModelsDirectory"] = models });
        var chat = gateway.Sdk().GetChatClient("local/" + Path.GetFileNameWithoutExtension(file));
        var texts = new HashSet<string>();
        for (var seed = 1; seed <= 30; seed++)
        {
            var text = (await chat.CompleteChatAsync([new UserChatMessage("A cat, please.")], Options(seed, 1f, 120))).Value.Content[0].Text;
            AssertValid(text);
            texts.Add(text);
        }
        Assert.True(texts.Count > 20, $"only {texts.Count} distinct answers from 30 seeds");
    }

    [ModelFact]
    public async Task A_schema_outside_the_subset_is_refused_with_400_naming_the_keyword()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:Local:ModelsDirectory"] = TestModels.Directory });
        var chat = gateway.Sdk().GetChatClient("local/stories260K");
        var options = new ChatCompletionOptions
        {
            ResponseFormat = ChatResponseFormat.CreateJsonSchemaFormat("cat",
                BinaryData.FromString("""{"type":"object","properties":{"name":{"type":"string","pattern":"^[A-Z]"}}}""")),
        };
        var error = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")], options));
        Assert.Equal(400, error.Status);
        Assert.Contains("'pattern' at #/properties/name", error.Message, StringComparison.Ordinal);
        Assert.Contains("response_format.json_schema.schema", error.Message, StringComparison.Ordinal);
    }
}
