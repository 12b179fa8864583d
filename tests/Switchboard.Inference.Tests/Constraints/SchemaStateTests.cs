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

        int[] Allowed() => MaskProbe.Allowed(constraint, bytes.Count, history);

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

    [Fact]
    public void Emoji_names_and_values_are_written_as_they_read()
    {
        const string schema = """{"type":"object","properties":{"😀":{"enum":["👍","👎"]}},"required":["😀"],"additionalProperties":false}""";
        Assert.Equal((-1, true), Feed(schema, """{"😀":"👎"}"""));
        var state = Start(schema);
        Assert.Equal("""{"😀":"👍"}""", Encoding.UTF8.GetString(state.ShortestCompletion()));
    }

    [Fact]
    public void A_key_spelled_with_an_escape_cannot_slip_past_its_schema()
    {
        const string schema = """{"type":"object","properties":{"a":{"type":"integer"}}}""";
        Assert.Equal(2, Feed(schema, """{"\u0061":"x"}""").Refused);
        Assert.Equal((-1, true), Feed(schema, """{"b":"x"}"""));
    }

    [Theory]
    [InlineData("""{"type":"object","properties":{"v":{"type":"integer"},"next":{"$ref":"#"}},"required":["v","next"]}""", "required")]
    [InlineData("""{"type":"object","properties":{"a":{"type":"array","minItems":"3"}}}""", "minItems")]
    [InlineData("""{"type":"object","properties":{"a":{"type":7}}}""", "type")]
    [InlineData("""{"type":"object","properties":{"a":{"$ref":5}}}""", "$ref")]
    [InlineData("""{"type":"object","properties":{"a":{"enum":[123456789012345678901234567890123456789012345]}}}""", "enum")]
    public void Schemas_no_answer_can_satisfy_or_that_are_malformed_are_refused(string schema, string keyword) =>
        Assert.Equal(keyword, Assert.Throws<UnsupportedSchemaException>(() => Start(schema)).Keyword);

    [Fact]
    public void A_long_reference_chain_is_refused_not_a_crash()
    {
        var defs = string.Join(",", Enumerable.Range(0, 5000).Select(i => $"\"d{i}\":{{\"type\":\"object\",\"properties\":{{\"p\":{{\"$ref\":\"#/$defs/d{i + 1}\"}}}}}}"));
        var schema = $"{{\"$defs\":{{{defs},\"d5000\":{{\"type\":\"object\"}}}},\"$ref\":\"#/$defs/d0\"}}";
        Assert.Equal("schema", Assert.Throws<UnsupportedSchemaException>(() => Start(schema)).Keyword);
    }

    /// <summary>An optional property whose schema has no finite value is never entered; a recursion through anyOf completes.</summary>
    [Theory]
    [InlineData("""{"type":"object","properties":{"x":{"type":"integer"},"loop":{"$ref":"#/$defs/L"}},"$defs":{"L":{"type":"object","properties":{"n":{"$ref":"#/$defs/L"}},"required":["n"]}}}""")]
    [InlineData("""{"type":"object","properties":{"v":{"$ref":"#/$defs/X"}},"required":["v"],"$defs":{"X":{"anyOf":[{"$ref":"#/$defs/A"},{"type":"null"}]},"A":{"type":"object","properties":{"a":{"$ref":"#/$defs/Y"}},"required":["a"]},"Y":{"anyOf":[{"$ref":"#/$defs/X"},{"$ref":"#/$defs/A"}]}}}""")]
    public void Recursive_schemas_never_lead_into_a_value_that_cannot_end(string schema)
    {
        // "loop" names a value that could never end: its key is refused at the closing quote.
        if (schema.Contains("loop", StringComparison.Ordinal)) Assert.Equal(6, Feed(schema, """{"loop":""").Refused);
        Random_walks_never_get_stuck_and_always_complete_to_a_valid_value(schema, strict: false);
    }

    /// <summary>
    /// Sampling under a token budget with a vocabulary of single bytes and a few multi-byte pieces that open values:
    /// whatever the budget, the answer is whole and valid, even when the schema's optional parts are long.
    /// </summary>
    [Theory]
    [InlineData(20)]
    [InlineData(45)]
    [InlineData(90)]
    public void Answers_under_any_budget_are_whole_values_of_the_schema(int maxTokens)
    {
        const string schema = """
            {"type":"object","properties":{"id":{"type":"integer"},"note":{"type":"string","minLength":30},
             "items":{"type":"array","items":{"type":"object","properties":{"k":{"type":"string","minLength":8},"v":{"type":"boolean"}},"required":["k","v"]}}},
             "required":["id"],"additionalProperties":false}
            """;
        var node = JsonSchemaCompiler.Compile(JsonDocument.Parse(schema).RootElement, strict: false);
        var pieces = Enumerable.Range(0, 256).Select(b => new[] { (byte)b })
            .Concat(new[] { "{\"", "\":", "\"note\":\"", "[{\"", "\"items\":[{", ",\"", "true}", "},{" }.Select(Encoding.UTF8.GetBytes)).ToList();
        pieces.Add([]);   // the end token
        var end = pieces.Count - 1;
        var trie = new TokenTrie(pieces);
        for (var seed = 0; seed < 25; seed++)
        {
            var random = new Random(seed);
            var constraint = new JsonConstraint<SchemaState>(trie, new SchemaState(node), new HashSet<int> { end }, 0, maxTokens, SchemaState.Horizon(node), SchemaState.Reach(node), SchemaState.Reach(node));
            var history = new List<int>();
            var logits = new float[pieces.Count];
            while (history.Count < maxTokens)
            {
                // Random logits favouring the multi-byte pieces, so answers open values late in the budget.
                for (var t = 0; t < logits.Length; t++) logits[t] = (float)random.NextDouble() + (pieces[t].Length > 1 ? 1.5f : 0);
                var candidates = new Candidates();
                candidates.Reset(logits);
                constraint.Apply(candidates, history);
                var options = candidates.Items.ToArray();
                var token = options.MaxBy(c => c.Value).Token;
                if (token == end) break;
                history.Add(token);
            }
            var text = Encoding.UTF8.GetString([.. history.SelectMany(t => pieces[t])]);
            AssertValid(schema, text);
        }
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
