using System.Text;
using System.Text.Json;
using Switchboard.Json;

namespace Switchboard.Tests.Json;

/// <summary>The relay's fast syntax check must accept exactly what System.Text.Json's reader accepts, or events would be wrongly cut or wrongly passed.</summary>
public sealed class JsonSyntaxTests
{
    private static bool ReaderAccepts(byte[] json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = JsonSyntax.MaxDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return false;
            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The same members found the slow way, with the framework reader (names unescaped).</summary>
    private static ResponseMembers MembersByReader(byte[] json)
    {
        var members = new ResponseMembers { Usage = JsonPropertyRange.None, Choices = JsonPropertyRange.None, Error = JsonPropertyRange.None };
        var scanner = new JsonObjectScanner(json);
        scanner.TryReadStart();
        while (scanner.MoveNext())
        {
            var (usage, choices, error) = (scanner.NameIs("usage"u8), scanner.NameIs("choices"u8), scanner.NameIs("error"u8));
            var value = scanner.ReadValue();
            if (usage) members.Usage = value;
            else if (choices) members.Choices = value;
            else if (error) members.Error = value;
        }
        return members;
    }

    private static readonly string[] Seeds =
    [
        """{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[{"index":0,"delta":{"content":"Hi \"there\" \\ \/ \b\f\n\r\t \u4f60\ud83d\ude00"},"logprobs":null,"finish_reason":null}]}""",
        """{ "a" : [ 1 , -2.5e+10 , 0 , 0.001 , 1E3 , -0 , true , false , null , { } , [ ] , "" ] , "b" : { "c" : { "d" : [ [ [ ] ] ] } } }""",
        """{"usage":{"prompt_tokens":9,"completion_tokens":9,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":0}}}""",
        "{\n\t\"x\"\r\n:\n1}",
        """{"choices":[],"\u0075sage":null,"error":{"message":"m"},"usage":{"total_tokens":3},"err\u006fr":null}""",
        "{}",
    ];

    private static readonly string[] Tokens = ["{", "}", "[", "]", ",", ":", "\"", "\\", "\\u", "\\uZZZZ", "\\u00e9", "0", "01", "-", "1.", ".5", "1e", "1e+", "true", "tru", "nul", "null", "false", " ", "\n", "\t", "\u0001", "\u007f", "é", "x", "+1", "\"k\":", "1.0E-7"];

    [Fact]
    public void Accepts_and_rejects_the_same_texts_as_the_framework_reader()
    {
        var random = new Random(20261201);
        var checkedCases = 0;
        foreach (var seed in Seeds) Check(Encoding.UTF8.GetBytes(seed));
        for (var i = 0; i < 150_000; i++)
        {
            var bytes = Encoding.UTF8.GetBytes(Seeds[random.Next(Seeds.Length)]).ToList();
            for (var edits = random.Next(1, 4); edits > 0; edits--)
            {
                var at = random.Next(bytes.Count + 1);
                switch (random.Next(5))
                {
                    case 0 when bytes.Count > 0: bytes.RemoveAt(Math.Min(at, bytes.Count - 1)); break;
                    case 1: bytes.InsertRange(at, Encoding.UTF8.GetBytes(Tokens[random.Next(Tokens.Length)])); break;
                    case 2 when at < bytes.Count: bytes[at] = (byte)random.Next(256); break;
                    case 3: bytes = bytes.Take(at).ToList(); break;
                    default: bytes.InsertRange(at, Encoding.UTF8.GetBytes(Seeds[random.Next(Seeds.Length)])); break;
                }
            }
            Check([.. bytes]);
        }
        // And texts made only of JSON's pieces, where the grammar's corners are.
        for (var i = 0; i < 150_000; i++)
        {
            var text = new StringBuilder("{");
            for (var n = random.Next(1, 24); n > 0; n--) text.Append(Tokens[random.Next(Tokens.Length)]);
            if (random.Next(2) == 0) text.Append('}');
            Check(Encoding.UTF8.GetBytes(text.ToString()));
        }
        Assert.True(checkedCases > 300_000);

        void Check(byte[] json)
        {
            checkedCases++;
            var expected = ReaderAccepts(json);
            Assert.True(expected == JsonSyntax.TryScanResponse(json, out var members), $"reader says {expected} for: {Encoding.UTF8.GetString(json)}");
            if (expected) Assert.True(members.Equals(MembersByReader(json)), $"members differ for: {Encoding.UTF8.GetString(json)}");
        }
    }

    [Theory]
    [InlineData(127, true)]
    [InlineData(128, false)]
    public void Nesting_is_limited_like_the_readers(int inner, bool accepted)
    {
        var json = "{\"a\":" + new string('[', inner) + new string(']', inner) + "}";
        Assert.Equal(ReaderAccepts(Encoding.UTF8.GetBytes(json)), accepted);
        Assert.Equal(accepted, JsonSyntax.TryScanResponse(Encoding.UTF8.GetBytes(json), out _));
    }
}
