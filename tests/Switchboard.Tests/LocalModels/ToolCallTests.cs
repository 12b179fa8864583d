using System.ClientModel;
using System.Text;
using System.Text.Json;
using Json.Schema;
using OpenAI.Chat;
using Switchboard.Inference.Models;
using Switchboard.Inference.Tests;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.LocalModels;

/// <summary>
/// Tool calls on a local model, through a real gateway and the official SDK: a random-weight model carrying the real
/// 152k qwen2 vocabulary and Qwen 2.5's own tool-capable chat template. A forced call is written under the function's
/// parameter schema, so even noise from random weights comes out as a call whose arguments validate.
/// </summary>
public sealed class ToolCallTests
{
    private const string WeatherParameters = """
        {"type":"object","properties":{"city":{"type":"string","minLength":1,"maxLength":20},"unit":{"enum":["c","f"]}},"required":["city","unit"],"additionalProperties":false}
        """;
    private const string TimeParameters = """{"type":"object","properties":{"zone":{"type":"string","maxLength":10}},"required":["zone"],"additionalProperties":false}""";

    private static readonly Dictionary<string, string> Schemas = new() { ["get_weather"] = WeatherParameters, ["get_time"] = TimeParameters };

    private static async Task<(GatewayHost Gateway, ChatClient Chat, string File)> StartAsync()
    {
        var models = Directory.CreateTempSubdirectory("switchboard-tools-").FullName;
        var template = await File.ReadAllTextAsync(Path.Combine(TestModels.Directory!, "templates", "Qwen-Qwen2.5-7B-Instruct.jinja"));
        var file = Switchboard.Inference.Tests.Models.TinyBpeModel.Write(Path.Combine(TestModels.Directory!, "vocab", "ggml-vocab-qwen2.gguf"), template, models);
        var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:Local:ModelsDirectory"] = models });
        return (gateway, gateway.Sdk().GetChatClient("local/" + Path.GetFileNameWithoutExtension(file)), file);
    }

    private static ChatCompletionOptions Options(ChatToolChoice choice, int? seed, float temperature)
    {
        var options = new ChatCompletionOptions { ToolChoice = choice, Temperature = temperature, MaxOutputTokenCount = 80 };
        options.Tools.Add(ChatTool.CreateFunctionTool("get_weather", "The weather in a city", BinaryData.FromString(WeatherParameters), functionSchemaIsStrict: true));
        options.Tools.Add(ChatTool.CreateFunctionTool("get_time", "The time in a zone", BinaryData.FromString(TimeParameters)));
#pragma warning disable OPENAI001
        options.Seed = seed;
#pragma warning restore OPENAI001
        return options;
    }

    private static void AssertValidCall(string name, string arguments)
    {
        Assert.True(Schemas.TryGetValue(name, out var schema), $"'{name}' is not an offered function");
        using var document = JsonDocument.Parse(arguments);
        Assert.True(JsonSchema.FromText(schema).Evaluate(document.RootElement).IsValid, $"{name}({arguments}) does not validate");
    }

    [ModelFact]
    public async Task Required_gives_a_call_whose_arguments_validate_on_every_seed_choosing_among_the_functions()
    {
        var (gateway, chat, _) = await StartAsync();
        await using var _gateway = gateway;
        var names = new HashSet<string>();
        for (var seed = 1; seed <= 12; seed++)
        {
            var answer = (await chat.CompleteChatAsync([new UserChatMessage("What is the weather in Paris?")], Options(ChatToolChoice.CreateRequiredChoice(), seed, 1f))).Value;
            Assert.Equal(ChatFinishReason.ToolCalls, answer.FinishReason);
            var call = Assert.Single(answer.ToolCalls);
            Assert.StartsWith("call_", call.Id, StringComparison.Ordinal);
            AssertValidCall(call.FunctionName, call.FunctionArguments.ToString());
            names.Add(call.FunctionName);
        }
        // The call's opening is constrained to the offered names, not fixed to the first.
        Assert.Equal(2, names.Count);
    }

    [ModelFact]
    public async Task A_named_function_streams_as_tool_call_deltas_that_match_the_whole_answer()
    {
        var (gateway, chat, _) = await StartAsync();
        await using var _gateway = gateway;
        List<ChatMessage> messages = [new UserChatMessage("What time is it in Tokyo?")];
        var options = Options(ChatToolChoice.CreateFunctionChoice("get_time"), null, 0f);
        var whole = (await chat.CompleteChatAsync(messages, options)).Value;
        // As OpenAI: a call to a function tool_choice named finishes with "stop" ("tool_calls" is for auto and required).
        Assert.Equal(ChatFinishReason.Stop, whole.FinishReason);
        var call = Assert.Single(whole.ToolCalls);
        Assert.Equal("get_time", call.FunctionName);
        AssertValidCall(call.FunctionName, call.FunctionArguments.ToString());

        string? name = null, id = null;
        var arguments = new StringBuilder();
        ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync(messages, options))
        {
            foreach (var part in update.ToolCallUpdates)
            {
                Assert.Equal(0, part.Index);
                name ??= part.FunctionName;
                id ??= part.ToolCallId;
                arguments.Append(part.FunctionArgumentsUpdate?.ToString());
            }
            Assert.DoesNotContain(update.ContentUpdate, c => c.Text.Length > 0);
            finish ??= update.FinishReason;
        }
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.Equal("get_time", name);
        Assert.StartsWith("call_", id, StringComparison.Ordinal);
        Assert.Equal(call.FunctionArguments.ToString(), arguments.ToString());
    }

    [ModelFact]
    public async Task A_tool_result_renders_back_through_the_models_template()
    {
        var (gateway, chat, file) = await StartAsync();
        await using var _gateway = gateway;
        var call = ChatToolCall.CreateFunctionToolCall("call_1", "get_weather", BinaryData.FromString("""{"city":"Paris","unit":"c"}"""));
        List<ChatMessage> messages =
        [
            new UserChatMessage("Weather in Paris?"),
            new AssistantChatMessage([call]),
            new ToolChatMessage("call_1", "18 degrees and sunny"),
        ];
        var answer = (await chat.CompleteChatAsync(messages, Options(ChatToolChoice.CreateNoneChoice(), 1, 0f))).Value;

        // The prompt the gateway built is the template's rendering of the call and its result, token for token.
        using var model = LlamaModel.Load(file);
        var expected = model.Chat.Render(
        [
            new("user", "Weather in Paris?"),
            new("assistant", null) { ToolCalls = [new("call_1", "get_weather", """{"city":"Paris","unit":"c"}""")] },
            new("tool", "18 degrees and sunny") { ToolCallId = "call_1" },
        ]);
        Assert.Contains("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"c\"}}\n</tool_call>", expected, StringComparison.Ordinal);
        Assert.Contains("<tool_response>\n18 degrees and sunny\n</tool_response>", expected, StringComparison.Ordinal);
        Assert.Equal(model.Chat.Tokens([new("user", "Weather in Paris?"),
            new("assistant", null) { ToolCalls = [new("call_1", "get_weather", """{"city":"Paris","unit":"c"}""")] },
            new("tool", "18 degrees and sunny") { ToolCallId = "call_1" }]).Count, answer.Usage.InputTokenCount);
        Assert.Empty(answer.ToolCalls);
    }

    /// <summary>Odd but well-formed JSON in tools and past calls renders (or is refused with a 400), never a 500.</summary>
    [ModelFact]
    public async Task Odd_tool_json_is_never_a_server_error()
    {
        var (gateway, _, file) = await StartAsync();
        await using var _gateway = gateway;
        var model = "local/" + Path.GetFileNameWithoutExtension(file);
        string[] bodies =
        [
            // A lone surrogate in a description, a number past double's range in an annotation.
            """{"model":"MODEL","max_tokens":2,"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","description":"\ud800","parameters":{"type":"object","properties":{"x":{"type":"integer","default":1e400}}}}}]}""".Replace("MODEL", model, StringComparison.Ordinal),
            // Past call arguments with the same.
            """{"model":"MODEL","max_tokens":2,"messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"x\":1e400,\"s\":\"\\ud800\"}"}}]},{"role":"tool","tool_call_id":"c","content":"ok"}],"tools":[{"type":"function","function":{"name":"f"}}]}""".Replace("MODEL", model, StringComparison.Ordinal),
        ];
        foreach (var body in bodies)
        {
            using var response = await gateway.Http.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
        using var orphan = await gateway.Http.PostAsync("/v1/chat/completions", new StringContent(
            """{"model":"MODEL","messages":[{"role":"user","content":"hi"}],"tool_choice":"required"}""".Replace("MODEL", model, StringComparison.Ordinal), Encoding.UTF8, "application/json"));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, orphan.StatusCode);
        Assert.Contains("tool_choice", await orphan.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [ModelFact]
    public async Task A_model_whose_template_has_no_tools_refuses_them_naming_tools()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:Local:ModelsDirectory"] = TestModels.Directory });
        var chat = gateway.Sdk().GetChatClient("local/stories260K");
        var error = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")], Options(ChatToolChoice.CreateAutoChoice(), 1, 0f)));
        Assert.Equal(400, error.Status);
        Assert.Contains("tools", error.Message, StringComparison.Ordinal);
    }
}
