using System.Text;
using System.Text.Json;
using Switchboard.Inference.Chat;
using Switchboard.Inference.Constraints;

namespace Switchboard.Inference.Tests.Chat;

/// <summary>Reading tool calls out of answers, finding the syntax in real templates, and writing forced calls.</summary>
public sealed class ToolCallSyntaxTests
{
    private static readonly string[] Functions = ["get_weather", "get_time", "sql"];

    [Theory]
    [InlineData("Qwen-Qwen2.5-7B-Instruct.jinja", "hermes")]
    [InlineData("Qwen-Qwen3-0.6B.jinja", "hermes")]
    [InlineData("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use.jinja", "hermes")]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct.jinja", "llama3")]
    [InlineData("meta-llama-Llama-3.2-3B-Instruct.jinja", "llama3")]
    [InlineData("google-gemma-2-2b-it.jinja", null)]
    public void The_syntax_is_read_off_real_templates(string template, string? syntax)
    {
        if (TestModels.Directory is null) return;
        var source = File.ReadAllText(TestModels.PathOf(Path.Combine("templates", template)));
        Assert.Equal(syntax, ToolCallSyntax.FromTemplate(source)?.Name);
    }

    [Fact]
    public void Hermes_blocks_become_calls_and_the_text_around_them_stays()
    {
        var text = "Let me check.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
            + "<tool_call>\n{\"name\": \"get_time\", \"arguments\": \"{\\\"zone\\\":\\\"CET\\\"}\"}\n</tool_call>";
        var (content, calls) = ToolCallSyntax.Hermes.Parse(text, Functions);
        Assert.Equal("Let me check.\n\n", content);
        Assert.Equal([new ParsedToolCall("get_weather", "{\"city\": \"Paris\"}"), new ParsedToolCall("get_time", "{\"zone\":\"CET\"}")], calls);
    }

    [Fact]
    public void A_block_naming_a_function_not_offered_is_kept_as_text()
    {
        var text = "<tool_call>\n{\"name\": \"launch\", \"arguments\": {}}\n</tool_call>";
        var (content, calls) = ToolCallSyntax.Hermes.Parse(text, Functions);
        Assert.Empty(calls);
        Assert.Equal(text, content);
    }

    [Fact]
    public void A_block_that_does_not_parse_is_kept_as_text()
    {
        var text = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \n</tool_call> and more";
        var (content, calls) = ToolCallSyntax.Hermes.Parse(text, Functions);
        Assert.Empty(calls);
        Assert.Equal(text, content);
    }

    [Theory]
    [InlineData("{\"name\": \"get_time\", \"parameters\": {\"zone\": \"UTC\"}}", 1)]
    [InlineData("  <|python_tag|>{\"name\": \"get_time\", \"parameters\": {}}; {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Oslo\"}}", 2)]
    [InlineData("The time is noon.", 0)]
    [InlineData("{\"not\": \"a call\"}", 0)]
    [InlineData("{\"name\": \"Alice\", \"age\": 30}", 0)]                                  // an answer about someone, not a call
    [InlineData("{\"name\": \"get_time\"}", 0)]                                               // no arguments
    [InlineData("{\"name\": \"sql\", \"parameters\": {\"q\": \"SELECT 1; SELECT 2\"}}", 1)]  // ';' inside a string
    public void Llama_answers_are_one_json_call_or_text(string text, int count)
    {
        var (content, calls) = ToolCallSyntax.Llama3.Parse(text, Functions);
        Assert.Equal(count, calls.Count);
        Assert.Equal(count == 0 ? text : text[..text.IndexOfAny(['{', '<'])], content);
    }

    [Fact]
    public void Text_that_may_open_a_block_is_held_back_only_as_long_as_it_might()
    {
        Assert.Equal(5, ToolCallSyntax.Hermes.PendingCallStart("Sure <tool"));
        Assert.Equal(0, ToolCallSyntax.Hermes.PendingCallStart("a < b"));
        Assert.Equal(3, ToolCallSyntax.Llama3.PendingCallStart("  \n"));
        Assert.Equal(0, ToolCallSyntax.Llama3.PendingCallStart("Hi"));
    }

    /// <summary>Random walks through a forced call over two functions: never stuck, always a call that parses with valid arguments.</summary>
    [Fact]
    public void Forced_calls_choose_among_the_functions_and_always_parse()
    {
        var weather = JsonSchemaCompiler.Compile(JsonDocument.Parse("""{"type":"object","properties":{"city":{"type":"string","maxLength":5}},"required":["city"],"additionalProperties":false}""").RootElement, strict: true);
        var time = JsonSchemaCompiler.Compile(JsonDocument.Parse("""{"type":"object","properties":{}}""").RootElement, strict: true);
        var grammar = new ToolCallGrammar([("get_weather", weather), ("get_time", time)], "arguments");
        var names = new HashSet<string>();
        for (var seed = 0; seed < 30; seed++)
        {
            var random = new Random(seed);
            var state = new ToolCallState(grammar);
            var text = new List<byte>();
            for (var step = random.Next(0, 60); step > 0 && !state.IsComplete; step--)
            {
                var options = Enumerable.Range(0, 256).Select(b => (byte)b).Where(b => { var probe = state; return probe.Advance(b); }).ToList();
                Assert.NotEmpty(options);
                var next = options[random.Next(options.Count)];
                Assert.True(state.Advance(next));
                text.Add(next);
            }
            text.AddRange(state.ShortestCompletion());
            var call = ToolCallSyntax.Hermes.ParseCall(Encoding.UTF8.GetString([.. text]));
            Assert.NotNull(call);
            names.Add(call.Name);
            using var arguments = JsonDocument.Parse(call.Arguments);
            if (call.Name == "get_weather") Assert.True(arguments.RootElement.GetProperty("city").GetString()!.Length <= 5);
            else Assert.Empty(arguments.RootElement.EnumerateObject());
        }
        Assert.Equal(2, names.Count);
    }
}
