using System.Text;
using Switchboard.Inference.Constraints;

namespace Switchboard.Inference.Tests.Constraints;

/// <summary>The JSON prefix machine on hand-written byte and token sequences.</summary>
public sealed class JsonStateTests
{
    private static (bool Valid, bool Complete) Feed(string text)
    {
        var state = default(JsonState);
        foreach (var b in Encoding.UTF8.GetBytes(text))
        {
            if (!state.Advance(b)) return (false, false);
        }
        return (true, state.IsComplete);
    }

    [Theory]
    [InlineData("{}", true)]
    [InlineData("{\"a\": [1, -2.5e+3, true, false, null, \"x\\u00e9\\n\"], \"b\": {\"c\": {}}}", true)]
    [InlineData("  { \"名字\" : \"猫\" }", true)]
    [InlineData("{\"a\":", false)]
    [InlineData("{\"a\": 0", false)]
    [InlineData("{\"a\": tr", false)]
    [InlineData("{\"a\": \"\\u00e", false)]   // a prefix: the first digits of an escape
    public void Valid_prefixes_are_accepted_and_completion_is_seen(string text, bool complete) =>
        Assert.Equal((true, complete), Feed(text));

    [Theory]
    [InlineData("[]")]                  // JSON mode asks for an object
    [InlineData("{\"a\" 1}")]
    [InlineData("{\"a\": 01}")]
    [InlineData("{\"a\": 1.}")]
    [InlineData("{\"a\": -}")]
    [InlineData("{\"a\": tru}")]
    [InlineData("{\"a\": \"\\x\"}")]
    [InlineData("{\"a\": \"\\ud800\"}")]  // a lone surrogate escape: parsers refuse it
    [InlineData("{\"a\": 1,}")]
    [InlineData("{\"a\": [1 2]}")]
    [InlineData("{} ")]                 // nothing after the object
    [InlineData("{\"a\": \"tab\there\"}")]
    public void Invalid_text_is_refused_at_the_byte_that_breaks_it(string text) => Assert.False(Feed(text).Valid);

    [Theory]
    [InlineData("", "{}")]
    [InlineData("{\"ke", "\":0}")]
    [InlineData("{\"a\": [1, {\"b\": \"x\\u0", "000\"}]}")]
    [InlineData("{\"a\": -", "0}")]
    [InlineData("{\"a\": [tr", "ue]}")]
    [InlineData("{\"a\": {\"b\": 12", "}}")]
    public void The_shortest_completion_closes_whatever_is_open(string prefix, string completion)
    {
        var state = default(JsonState);
        foreach (var b in Encoding.UTF8.GetBytes(prefix)) Assert.True(state.Advance(b));
        Assert.Equal(completion, Encoding.UTF8.GetString(state.ShortestCompletion()));
    }

    [Fact]
    public void Whitespace_is_bounded_and_utf8_must_be_well_formed()
    {
        Assert.False(Feed("{" + new string(' ', JsonState.MaxWhitespace + 1)).Valid);
        Assert.True(Feed("{" + new string(' ', JsonState.MaxWhitespace)).Valid);
        var state = default(JsonState);
        foreach (var b in "{\"a\": \""u8) Assert.True(state.Advance(b));
        var overlong = state;
        Assert.True(overlong.Advance(0xE0));
        Assert.False(overlong.Advance(0x80));   // E0 80 would be an overlong form
        var split = state;
        foreach (var b in Encoding.UTF8.GetBytes("猫")) Assert.True(split.Advance(b));
        Assert.True(split.InPlainString);
    }

    [Fact]
    public void The_mask_keeps_exactly_the_tokens_that_continue_the_object_and_only_the_end_after_it()
    {
        // A tiny vocabulary: whole structures, pieces that span several JSON tokens, a split UTF-8 character, the end.
        string[] texts = ["{", "}", "{\"", "\":", "name", " \"", "\"}", ",", "1", "猫"[..1], "x", "\""];
        var bytes = texts.Select(t => Encoding.UTF8.GetBytes(t)).ToList();
        var cat = Encoding.UTF8.GetBytes("猫");
        bytes.Add(cat[..2]);      // 12: the first two bytes of 猫
        bytes.Add(cat[2..]);      // 13: its last byte
        bytes.Add([]);            // 14: the end token (no bytes)
        var trie = new TokenTrie(bytes);
        var constraint = new JsonConstraint<JsonState>(trie, default, new HashSet<int> { 14 }, promptLength: 0);
        List<int> history = [];

        int[] Allowed() => MaskProbe.Allowed(constraint, bytes.Count, history);

        Assert.Equal([0, 2], Allowed());                  // only an opening: "{" or "{\""
        history.Add(2);                                   // {"
        Assert.Contains(4, Allowed());                    // a key may go on: name
        Assert.Contains(12, Allowed());                   // the first half of 猫 may start
        Assert.DoesNotContain(13, Allowed());             // a lone continuation byte may not
        Assert.DoesNotContain(14, Allowed());             // nor may the end
        history.AddRange([12, 13, 3, 8]);                 // {"猫":1
        Assert.Equal([1, 7, 8], Allowed());               // }, ',' or another digit (a quote cannot follow a number)
        history.Add(1);                                   // {"猫":1}
        Assert.Equal([14], Allowed());                    // only the end
        Assert.True(constraint.IsComplete);
    }
}
