using Switchboard.Inference.Chat;
using Switchboard.LocalModels;

namespace Switchboard.Tests.LocalModels;

/// <summary>Separating tool calls from text as a stream arrives token by token (tool_choice auto).</summary>
public sealed class ToolCallReaderTests
{
    private static (string Sent, string Held, List<LocalToolCall> Calls) Read(ToolCallSyntax syntax, bool forced, params string[] pieces)
    {
        var reader = new ToolCallReader(syntax, forced, ["f", "g"]);
        var sent = string.Concat(pieces.Select(reader.Push));
        var (rest, calls) = reader.Finish();
        return (sent, rest, calls);
    }

    [Fact]
    public void Text_streams_until_a_block_opens_and_the_block_becomes_a_call()
    {
        var reader = new ToolCallReader(ToolCallSyntax.Hermes, forced: false, ["f"]);
        Assert.Equal("I will ", reader.Push("I will "));
        Assert.Equal("check", reader.Push("check<to"));     // "<to" might open a block: held
        Assert.Equal("", reader.Push("ol_call>\n{\"name\": \"f\", "));
        Assert.Equal("", reader.Push("\"arguments\": {\"x\": 1}}\n</tool_call>"));
        var (rest, calls) = reader.Finish();
        Assert.Equal("", rest);
        var call = Assert.Single(calls);
        Assert.Equal(("f", "{\"x\": 1}"), (call.Name, call.Arguments));
        Assert.StartsWith("call_", call.Id, StringComparison.Ordinal);
    }

    [Fact]
    public void Held_text_that_opens_nothing_is_sent_and_nothing_is_lost()
    {
        var (sent, rest, calls) = Read(ToolCallSyntax.Hermes, false, "a <t", "able> b", " <tool_ca");
        Assert.Empty(calls);
        Assert.Equal("a <table> b <tool_ca", sent + rest);
    }

    [Fact]
    public void A_llama_answer_is_held_while_it_may_be_a_call()
    {
        var (sent, rest, calls) = Read(ToolCallSyntax.Llama3, false, " ", "{\"name\": \"f\", ", "\"parameters\": {}}");
        Assert.Equal(("", ""), (sent.Trim(), rest));
        Assert.Equal("f", Assert.Single(calls).Name);
        (sent, rest, calls) = Read(ToolCallSyntax.Llama3, false, " Hello", " {not a call}");
        Assert.Equal((" Hello {not a call}", ""), (sent, rest));
        Assert.Empty(calls);
    }

    [Fact]
    public void A_forced_call_is_all_call()
    {
        var (sent, rest, calls) = Read(ToolCallSyntax.Hermes, true, "{\"name\": \"g\", ", "\"arguments\": {\"a\": [1]}}");
        Assert.Equal(("", ""), (sent, rest));
        Assert.Equal(("g", "{\"a\": [1]}"), (calls[0].Name, calls[0].Arguments));
    }
}
