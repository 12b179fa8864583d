using System.Text;
using System.Text.Json;
using Json.Schema;
using Switchboard.Inference.Constraints;
using Switchboard.Inference.Sampling;

namespace Switchboard.Inference.Tests.Constraints;

/// <summary>The schema recogniser on hand-written texts, and random walks through it checked by a JSON Schema validator.</summary>
public sealed class SchemaStateTests
{
    private const string Person = """
        {"type":"object","properties":{
          "name":{"type":"string","minLength":1,"maxLength":3},
          "age":{"type":"integer"},
          "color":{"enum":["red","green",null,10,1]},
          "tags":{"type":"array","items":{"type":"string"},"minItems":1,"maxItems":2},
          "nick":{"anyOf":[{"type":"string"},{"type":"null"}]},
          "kind":{"const":{"a":[1,"b"]}}
        },"required":["name","age"],"additionalProperties":false}
        """;

    private const string Tree = """
        {"$defs":{"node":{"type":"object","properties":{"v":{"type":["integer","null"]},"children":{"type":"array","items":{"$ref":"#/$defs/node"}}},"required":["v","children"],"additionalProperties":false}},
         "type":"object","properties":{"root":{"$ref":"#/$defs/node"}},"required":["root"],"additionalProperties":false}
        """;

    private static SchemaState Start(string schema, bool strict = false) =>
        new(JsonSchemaCompiler.Compile(JsonDocument.Parse(schema).RootElement, strict));

    /// <summary>The index of the first byte refused (-1 when all are taken), and whether the value is then whole.</summary>
    private static (int Refused, bool Complete) Feed(string schema, string text, bool strict = false)
    {
        var state = Start(schema, strict);
        var bytes = Encoding.UTF8.GetBytes(text);
        for (var i = 0; i < bytes.Length; i++)
        {
            if (!state.Advance(bytes[i])) return (i, false);
        }
        return (-1, state.IsComplete);
    }

    [Theory]
    [InlineData("""{"name":"Bo","age":3}""")]
    [InlineData("""{ "age" : -12 , "name" : "猫猫猫" }""")]
    [InlineData("""{"name":"a","age":0,"color":"green","tags":["x","y"],"nick":null,"kind":{"a":[1,"b"]}}""")]
    [InlineData("""{"name":"a","age":0,"color":10}""")]
    [InlineData("""{"name":"a","age":0,"color":1,"nick":"n"}""")]
    [InlineData("""{"name":"a","age":0,"color":null}""")]
    public void Values_of_the_schema_are_accepted_whole(string text) => Assert.Equal((-1, true), Feed(Person, text));

    [Theory]
    [InlineData("""{"name":"Bo"|}""")]                 // age is required
    [InlineData("""{"nam|":""")]                       // no such property
    [InlineData("{\"name\":\"Bo\",\"n|ame\"")]             // a property twice: refused once no free name is ahead
    [InlineData("""{"|other""")]                       // additionalProperties: false
    [InlineData("""{"age":3|.5""")]                    // an integer
    [InlineData("""{"age":|"3""")]                     // of the wrong type
    [InlineData("{\"name\":\"|\"")]                          // minLength 1
    [InlineData("""{"name":"é猫c|d""")]                // maxLength 3: characters, not bytes
    [InlineData("""{"color":"re|x""")]                 // not one of the enum
    [InlineData("""{"color":10|0""")]                  // 10, then 100 is no value of it
    [InlineData("""{"color":|2""")]
    [InlineData("""{"tags":[|]""")]                    // minItems 1
    [InlineData("""{"tags":["a","b"|,"c""")]           // maxItems 2
    [InlineData("""{"nick":|1""")]                     // anyOf string or null
    [InlineData("""{"kind":{"a":[1,| "b"]}""")]        // a const is spelled exactly
    public void Text_outside_the_schema_is_refused_at_the_byte_that_leaves_it(string marked)
    {
        var at = marked.IndexOf('|', StringComparison.Ordinal);
        var text = marked.Remove(at, 1);
        Assert.Equal(Encoding.UTF8.GetByteCount(marked[..at]), Feed(Person, text).Refused);
    }

    [Fact]
    public void Closed_object_keys_must_lead_to_a_free_name()
    {
        // With "name" used, "na" leads nowhere (only "nick" is free): the byte is refused, not left to a dead end later.
        Assert.Equal(("""{"name":"a","n"""u8.Length, false), Feed(Person, """{"name":"a","na"""));
        Assert.Equal((-1, false), Feed(Person, """{"name":"a","ni"""));
    }

    [Fact]
    public void Strict_makes_every_property_required()
    {
        const string schema = """{"type":"object","properties":{"a":{"type":"integer"},"b":{"type":"boolean"}}}""";
        Assert.Equal((-1, true), Feed(schema, """{"a":1}"""));
        Assert.Equal("""{"a":1""".Length, Feed(schema, """{"a":1}""", strict: true).Refused);
        Assert.Equal((-1, true), Feed(schema, """{"a":1,"b":true}""", strict: true));
        // And no other property: without strict, an unnamed property of any value is fine.
        Assert.Equal((-1, true), Feed(schema, """{"z":[1,{"q":null}]}"""));
        Assert.Equal(2, Feed(schema, """{"z":1}""", strict: true).Refused);
    }

    [Fact]
    public void A_recursive_schema_nests()
    {
        Assert.Equal((-1, true), Feed(Tree, """{"root":{"v":1,"children":[{"v":null,"children":[]},{"children":[],"v":2}]}}"""));
        Assert.NotEqual(-1, Feed(Tree, """{"root":{"v":1,"children":[{"v":1.5""").Refused);
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","pattern":"^x"}}}""", "pattern", "#/properties/a")]
    [InlineData("""{"type":"object","oneOf":[]}""", "oneOf", "#")]
    [InlineData("""{"type":"array"}""", "type", "#")]
    [InlineData("""{"type":"object","required":["x"]}""", "required", "#")]
    [InlineData("""{"type":"object","properties":{"a":{"$ref":"#/$defs/missing"}}}""", "$ref", "#/properties/a")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"string","minLength":3,"maxLength":2}}}""", "minLength", "#/properties/a")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"integer","enum":["x"]}}}""", "enum", "#/properties/a")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"strin"}}}""", "type", "#/properties/a")]
    public void A_schema_outside_the_subset_is_refused_naming_the_keyword(string schema, string keyword, string path)
    {
        var error = Assert.Throws<UnsupportedSchemaException>(() => Start(schema));
        Assert.Equal((keyword, path), (error.Keyword, error.Path));
    }

    [Theory]
    [InlineData(Person, "")]
    [InlineData(Person, """{"tags":[""")]
    [InlineData(Person, """{"age":-""")]
    [InlineData(Person, """{"kind":{"a":[1""")]
    [InlineData(Person, """{"color":"gr""")]
    [InlineData(Person, """{"nick":""")]
    [InlineData(Tree, """{"root":{"children":[{""")]
    public void The_shortest_completion_from_a_prefix_is_a_valid_value(string schema, string prefix)
    {
        var state = Start(schema);
        foreach (var b in Encoding.UTF8.GetBytes(prefix)) Assert.True(state.Advance(b));
        var text = prefix + Encoding.UTF8.GetString(state.ShortestCompletion());
        AssertValid(schema, text);
    }

    /// <summary>
    /// Random walks: at each step every byte the state accepts is found and one is taken at random, then the walk is
    /// completed. There is always some byte (no dead ends) and every completed text validates against the schema.
    /// </summary>
    [Theory]
    [InlineData(Person, false)]
    [InlineData(Person, true)]
    [InlineData(Tree, false)]
    [InlineData("""{"type":"object","properties":{"x":{"type":"number"},"s":{"type":"string","maxLength":4}},"required":["x"]}""", false)]
    public void Random_walks_never_get_stuck_and_always_complete_to_a_valid_value(string schema, bool strict)
    {
        for (var seed = 0; seed < 40; seed++)
        {
            var random = new Random(seed);
            var state = Start(schema, strict);
            var text = new List<byte>();
            var steps = random.Next(1, 120);
            for (var step = 0; step < steps && !state.IsComplete; step++)
            {
                var options = Enumerable.Range(0, 256).Select(b => (byte)b).Where(b => { var probe = state; return probe.Advance(b); }).ToList();
                Assert.NotEmpty(options);
                // Favour structure over endless string text, so walks reach deep into the schema.
                var structural = options.Where(b => b is (byte)'{' or (byte)'[' or (byte)'"' or (byte)',' or (byte)':' or (byte)'}' or (byte)']').ToList();
                var next = structural.Count > 0 && random.Next(3) == 0 ? structural[random.Next(structural.Count)] : options[random.Next(options.Count)];
                Assert.True(state.Advance(next));
                text.Add(next);
            }
            text.AddRange(state.ShortestCompletion());
            AssertValid(schema, Encoding.UTF8.GetString([.. text]), strict);
        }
    }

    [Fact]
    public void The_mask_keeps_only_tokens_toward_free_property_names()
    {
        string[] texts = ["{\"", "name", "age", "\":", "\"", "x", "1", "}", ",\"", "na", "me\":\"", "a"];
        var bytes = texts.Select(t => Encoding.UTF8.GetBytes(t)).ToList();
        bytes.Add([]);   // 12: the end token
        var trie = new TokenTrie(bytes);
        var constraint = new JsonConstraint<SchemaState>(trie, Start(Person), new HashSet<int> { 12 }, promptLength: 0);
        List<int> history = [];

        int[] Allowed()
        {
            var candidates = new Candidates();
            candidates.Reset(new float[bytes.Count]);
            constraint.Apply(candidates, history);
            return [.. candidates.Items.ToArray().Select(c => c.Token).Order()];
        }

        Assert.Equal([0], Allowed());                       // {"
        history.Add(0);
        Assert.Equal([1, 2, 9, 11], Allowed());             // name, age, na, a(ge): not x, not a close
        history.AddRange([2, 3, 6]);                        // {"age":1
        Assert.Equal([6, 8], Allowed());                    // more digits or a comma: '}' waits for name
        history.AddRange([8, 9, 10, 11, 4]);                // ,"name":"a"
        Assert.Equal([7, 8], Allowed());                    // close, or another property
        history.Add(7);
        Assert.Equal([12], Allowed());
    }

    private static void AssertValid(string schema, string text, bool strict = false)
    {
        using var document = JsonDocument.Parse(text);
        var validator = JsonSchema.FromText(strict ? Strict(schema) : schema);
        var result = validator.Evaluate(document.RootElement, new EvaluationOptions { OutputFormat = OutputFormat.List });
        Assert.True(result.IsValid, $"{text} does not validate");
    }

    /// <summary>The schema as strict mode reads it: every listed property required, no others.</summary>
    private static string Strict(string schema)
    {
        var node = System.Text.Json.Nodes.JsonNode.Parse(schema)!;
        void Visit(System.Text.Json.Nodes.JsonNode? n)
        {
            if (n is System.Text.Json.Nodes.JsonObject o)
            {
                if (o["properties"] is System.Text.Json.Nodes.JsonObject properties)
                {
                    o["required"] = new System.Text.Json.Nodes.JsonArray([.. properties.Select(p => (System.Text.Json.Nodes.JsonNode?)p.Key)]);
                    o["additionalProperties"] = false;
                }
                foreach (var child in o.ToList()) Visit(child.Value);
            }
            else if (n is System.Text.Json.Nodes.JsonArray a)
            {
                foreach (var child in a.ToList()) Visit(child);
            }
        }
        Visit(node);
        return node.ToJsonString();
    }
}
