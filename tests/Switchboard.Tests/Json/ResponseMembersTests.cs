using System.Text;
using System.Text.Json;
using Switchboard.Json;

namespace Switchboard.Tests.Json;

/// <summary>What the relay learns from each upstream event and body: whether it is one JSON object, and where its usage, choices and error are.</summary>
public sealed class ResponseMembersTests
{
    private static string Text(string json, JsonPropertyRange range) => json[range.ValueStart..range.End];

    [Fact]
    public void Finds_usage_choices_and_error_at_the_top_level_only()
    {
        const string json = """{"id":"c","choices":[{"index":0,"delta":{"usage":1,"error":2}}],"usage":{"total_tokens":3} ,"error":null}""";
        Assert.True(ResponseMembers.TryScan(Encoding.UTF8.GetBytes(json), out var members));
        Assert.Equal("""[{"index":0,"delta":{"usage":1,"error":2}}]""", Text(json, members.Choices));
        Assert.Equal(JsonTokenType.StartArray, members.Choices.Kind);
        Assert.Equal("""{"total_tokens":3}""", Text(json, members.Usage));
        Assert.Equal("\"usage\"", json[members.Usage.Start..(members.Usage.Start + 7)]);
        Assert.Equal(JsonTokenType.Null, members.Error.Kind);
    }

    [Fact]
    public void Escaped_names_count_and_the_last_of_a_repeated_name_wins()
    {
        const string json = """{"\u0075sage":{"total_tokens":1},"usage":{"total_tokens":2},"err\u006fr":{"message":"m"},"\ud800":1}""";
        Assert.True(ResponseMembers.TryScan(Encoding.UTF8.GetBytes(json), out var members));
        Assert.Equal("""{"total_tokens":2}""", Text(json, members.Usage));
        Assert.Equal("""{"message":"m"}""", Text(json, members.Error));
        Assert.False(members.Choices.Exists);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("[1]")]
    [InlineData("\"text\"")]
    [InlineData("{\"a\":1")]
    [InlineData("{\"a\":1} x")]
    [InlineData("{\"a\":1}{\"b\":2}")]
    [InlineData("{\"a\":01}")]
    [InlineData("{\"a\":[1,]}")]
    [InlineData("{'a':1}")]
    [InlineData("{\"a\":\"\\x\"}")]
    [InlineData("{\"choices\":[{\"delta\":{\"content\":\"x}]}")]
    public void Anything_but_exactly_one_object_is_refused(string json) =>
        Assert.False(ResponseMembers.TryScan(Encoding.UTF8.GetBytes(json), out _));

    [Theory]
    [InlineData(127, true)]
    [InlineData(128, false)]
    public void Nesting_is_bounded(int arrays, bool accepted)
    {
        var json = "{\"a\":" + new string('[', arrays) + new string(']', arrays) + "}";
        Assert.Equal(accepted, ResponseMembers.TryScan(Encoding.UTF8.GetBytes(json), out _));
    }
}
