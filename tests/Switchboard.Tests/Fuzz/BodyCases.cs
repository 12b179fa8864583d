using System.Text;
using System.Text.Json;

namespace Switchboard.Tests.Fuzz;

/// <summary>One seeded JSON body for one endpoint, and what the gateway must answer to it when that is certain.</summary>
internal sealed record BodyCase(int Seed, int Number, string Path, byte[] Body, Expect? Expected, string Mutation);

/// <summary>Structure-aware and byte-level mutations of valid bodies for the five forwarded endpoints.</summary>
internal static class BodyCases
{
    public const int MaxRequestBodyBytes = 1024 * 1024;
    private const string Invalid = "@@INVALID@@";    // replaced by invalid UTF-8 bytes once the body is encoded

    private sealed record Endpoint(string Path, string Required, string[] RequiredValues, bool RequiredMustBeArray, string? DefaultModel, string Model);

    private static readonly Endpoint[] Endpoints =
    [
        new("/v1/chat/completions", "messages",
            ["""[{"role":"user","content":"hi"}]""", """[{"role":"system","content":"be brief"},{"role":"user","content":"你好，世界 😀"}]""", """[{"role":"user","content":[{"type":"text","text":"\u00e9t\u00e9"}]}]""", "[]"],
            true, null, "gpt-fuzz"),
        new("/v1/completions", "prompt", ["\"Say hi\"", "[\"a\",\"b\"]", "[1,2,3]"], false, null, "gpt-fuzz-instruct"),
        new("/v1/embeddings", "input", ["\"hello\"", "[\"a\",\"b\"]", "[[1,2],[3]]"], false, null, "text-embedding-fuzz"),
        new("/v1/moderations", "input", ["\"hello\"", "[\"a\"]"], false, "omni-moderation-latest", "omni-moderation-latest"),
        new("/v1/images/generations", "prompt", ["\"a cat\""], false, "dall-e-2", "dall-e-2"),
    ];

    private static readonly string[] Extras =
    [
        "\"temperature\":0.7", "\"max_tokens\":16", "\"user\":\"u-1\"", "\"metadata\":{\"k\":\"v\",\"n\":{\"deep\":[1,2,{}]}}", "\"n\":1",
        "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"f\",\"parameters\":{\"type\":\"object\"}}}]",
        "\"logit_bias\":{\"50256\":-100}", "\"seed\":-9007199254740993", "\"stop\":[\"\\n\",\"\\u0000\"]", "\"response_format\":{\"type\":\"json_object\"}",
    ];

    private static readonly string[] ModelSpellings = ["\"model\"", "\"\\u006dodel\"", "\"mod\\u0065l\"", "\"\\u006D\\u006F\\u0064\\u0065\\u006C\""];
    private static readonly string[] StreamSpellings = ["\"stream\"", "\"\\u0073tream\"", "\"strea\\u006d\""];
    private static readonly string[] StreamOptionsSpellings = ["\"stream_options\"", "\"stream\\u005foptions\"", "\"\\u0073tream_options\""];

    private static readonly string[] InvalidUtf8 = ["FF", "FE", "C080", "EDA080", "E4B8", "F09F98", "80", "F888808080", "F4908080", "C3", "E0808F"];

    public static IEnumerable<BodyCase> Generate(int seed, int count)
    {
        var random = new Random(seed);
        for (var number = 0; number < count; number++)
        {
            var endpoint = Endpoints[random.Next(Endpoints.Length)];
            // A configured model the provider knows by another name: the gateway must rewrite it in whatever body it comes in.
            if (endpoint.DefaultModel is null && random.Next(4) == 0) endpoint = endpoint with { Model = WellBehavedUpstream.RenamedModel };
            var (body, expected, mutation) = Mutate(random, endpoint, BaseProperties(random, endpoint));
            if (random.Next(4) == 0)
            {
                body = ByteMutations(random, body, out var bytes);
                expected = null;
                mutation += " + bytes: " + bytes;
            }
            yield return new BodyCase(seed, number, endpoint.Path, body, expected, mutation);
        }
    }

    /// <summary>A valid body as a list of <c>"name":value</c> texts (names may be escaped, so they are JSON text too).</summary>
    private static List<(string Name, string Value)> BaseProperties(Random random, Endpoint endpoint)
    {
        var properties = new List<(string Name, string Value)>();
        if (endpoint.DefaultModel is null || random.Next(2) == 0) properties.Add(("\"model\"", Quote(endpoint.Model)));
        properties.Add((Quote(endpoint.Required), endpoint.RequiredValues[random.Next(endpoint.RequiredValues.Length)]));
        if (random.Next(3) == 0)
        {
            properties.Add(("\"stream\"", random.Next(4) == 0 ? "false" : "true"));
            if (random.Next(2) == 0)
                properties.Add(("\"stream_options\"", Pick(random, "{\"include_usage\":true}", "{}", "{\"include_usage\":false,\"include_obfuscation\":false}", "null", "{\"include_usage\":true,\"include_usage\":false}")));
        }
        foreach (var extra in Extras)
        {
            if (random.Next(5) == 0)
            {
                var colon = extra.IndexOf("\":", StringComparison.Ordinal) + 1;
                properties.Add((extra[..colon], extra[(colon + 1)..]));
            }
        }
        Shuffle(random, properties);
        return properties;
    }

    private static (byte[] Body, Expect? Expected, string Mutation) Mutate(Random random, Endpoint endpoint, List<(string Name, string Value)> properties)
    {
        var ok = new Expect(200);
        var missingModel = endpoint.DefaultModel is null ? new Expect(400, "missing_required_parameter", "model") : ok;
        switch (random.Next(30))
        {
            case 0:
            case 1:
                return (Serialize(random, properties), ok, "valid");
            case 2:
            {
                var value = Pick(random, "123", "true", "false", "[]", "[\"gpt-fuzz\"]", "{}", "{\"name\":\"gpt-fuzz\"}", "1e999", "-0");
                Set(properties, "\"model\"", value);
                return (Serialize(random, properties), new Expect(400, "invalid_type", "model"), $"model is {value}");
            }
            case 3:
            {
                var how = random.Next(3);
                if (how == 0) Remove(properties, "\"model\"");
                else Set(properties, "\"model\"", how == 1 ? "null" : "\"\"");
                return (Serialize(random, properties), missingModel, how == 0 ? "no model" : how == 1 ? "model is null" : "model is empty");
            }
            case 4:
            {
                var value = Pick(random, "\"true\"", "1", "0", "{}", "[]", "\"yes\"", "1e400");
                Set(properties, "\"stream\"", value);
                return (Serialize(random, properties), new Expect(400, "invalid_type", "stream"), $"stream is {value}");
            }
            case 5:
            {
                var value = Pick(random, "\"x\"", "1", "true", "[]", "[{\"include_usage\":true}]", "\"{\\\"include_usage\\\":true}\"");
                Set(properties, "\"stream_options\"", value);
                if (random.Next(2) == 0) Set(properties, "\"stream\"", "true");
                return (Serialize(random, properties), new Expect(400, "invalid_type", "stream_options"), $"stream_options is {value}");
            }
            case 6:
            {
                Set(properties, "\"stream\"", "true");
                Set(properties, "\"stream_options\"", Pick(random, "null", "{}", "{\"include_usage\":null}", "{\"\\ud800\":true,\"include_usage\":false}", "{\"include_usage\":true,\"x\":[[[[]]]]}"));
                return (Serialize(random, properties), ok, "stream with odd but valid stream_options");
            }
            case 7:
            {
                var required = Quote(endpoint.Required);
                if (endpoint.RequiredMustBeArray && random.Next(2) == 0)
                {
                    var value = Pick(random, "\"hi\"", "{}", "1", "true", "{\"role\":\"user\"}");
                    Set(properties, required, value);
                    return (Serialize(random, properties), new Expect(400, "invalid_type", endpoint.Required), $"{endpoint.Required} is {value}");
                }
                if (random.Next(2) == 0) Remove(properties, required);
                else Set(properties, required, "null");
                return (Serialize(random, properties), new Expect(400, "missing_required_parameter", endpoint.Required), $"no {endpoint.Required}");
            }
            case 8:
            case 9:
            {
                // The same parameter twice, the second spelled with escapes the gateway must see through.
                var (name, spellings, value) = Pick(random, ("model", ModelSpellings, Quote("other-model")), ("stream", StreamSpellings, "false"),
                    ("stream_options", StreamOptionsSpellings, "{\"include_usage\":false}"));
                if (!properties.Exists(p => p.Name == Quote(name))) properties.Add((Quote(name), name == "model" ? Quote(endpoint.Model) : name == "stream" ? "true" : "null"));
                properties.Insert(random.Next(properties.Count + 1), (spellings[random.Next(spellings.Length)], value));
                return (Serialize(random, properties), new Expect(400, "duplicate_parameter", name), $"{name} twice");
            }
            case 10:
            {
                var spelling = Pick(random, "\"\\u006dodel\"", "\"mod\\u0065l\"");
                Remove(properties, "\"model\"");
                properties.Add((spelling, Quote(endpoint.Model)));
                if (random.Next(2) == 0)
                {
                    Remove(properties, "\"stream\"");
                    properties.Add(("\"\\u0073tream\"", "true"));
                }
                return (Serialize(random, properties), ok, "escaped names");
            }
            case 11:
            {
                var model = Pick(random, "\"gpt\\ud800\"", "\"\\udfff\"", "\"\\ud800\\ud800\"", "\"a\\udc00b\"", "\"\\ude00\\ud83d\"", "\"x\\ud83d\"");
                Set(properties, "\"model\"", model);
                return (Serialize(random, properties), new Expect(400, "invalid_value", "model"), $"model {model} has an unpaired surrogate");
            }
            case 12:
            {
                var lone = Pick(random, "\\ud800", "\\udfff", "\\udbff\\udbff", "\\udc00\\ud800");
                if (random.Next(2) == 0) properties.Add(("\"user\"", $"\"u{lone}\""));
                else properties.Add(($"\"{lone}\"", $"\"{lone}\""));
                if (random.Next(2) == 0) properties.Add(($"\"x{lone}model\"", "1"));
                return (Serialize(random, properties), ok, $"unpaired surrogate {lone} in a value or name");
            }
            case 13:
            {
                // Invalid UTF-8 inside a string: the model, another value or a name.
                var where = random.Next(3);
                if (where == 0) Set(properties, "\"model\"", Quote("gpt" + Invalid));
                else if (where == 1) properties.Add(("\"user\"", Quote("u" + Invalid + "x")));
                else properties.Add((Quote(Invalid), "1"));
                var bytes = Convert.FromHexString(InvalidUtf8[random.Next(InvalidUtf8.Length)]);
                return (Splice(Serialize(random, properties), bytes), new Expect(400), $"invalid UTF-8 {Convert.ToHexString(bytes)} in a {(where == 0 ? "model" : where == 1 ? "value" : "name")}");
            }
            case 14:
            {
                var (model, length, expect) = random.Next(6) switch
                {
                    0 => (new string('m', 100 * 1024), "100 KiB", new Expect(400, "invalid_value", "model")),
                    1 => (new string('m', 256), "256", ok),
                    2 => (new string('m', 257), "257", new Expect(400, "invalid_value", "model")),
                    3 => (string.Concat(Enumerable.Repeat("😀", 128)), "128 emoji", ok),
                    4 => (string.Concat(Enumerable.Repeat("😀", 129)), "129 emoji", new Expect(400, "invalid_value", "model")),
                    _ => (string.Concat(Enumerable.Repeat("模型", 128)), "256 CJK", ok),
                };
                Set(properties, "\"model\"", Quote(model));
                return (Serialize(random, properties), expect, $"model of {length} characters");
            }
            case 15:
            {
                var escaped = Pick(random, "\\u0000", "\\u0001", "\\n", "\\r", "\\t", "\\b", "\\f", "\\u001f", "\\u007f", "\\u001b[31m");
                Set(properties, "\"model\"", $"\"gpt{escaped}fuzz\"");
                return (Serialize(random, properties), new Expect(400, "invalid_value", "model"), $"model with control character {escaped}");
            }
            case 16:
            {
                // Raw control characters are not allowed in JSON strings at all; a raw DEL is, and is still no model name.
                var raw = (char)Pick(random, 0x00, 0x01, 0x0A, 0x0D, 0x09, 0x1F, 0x7F);
                Set(properties, "\"model\"", $"\"gpt{raw}fuzz\"");
                return (Serialize(random, properties), raw == 0x7F ? new Expect(400, "invalid_value", "model") : new Expect(400, null, null), $"model with raw U+{(int)raw:X4}");
            }
            case 17:
            {
                var model = Pick(random, "\"gpt\\u002dfuzz\"", "\"\\ud83d\\ude00\"", "\"with space\"", "\"a/b/../c\"", "\"\\u2028\"", "\"%00\"", "\"模型\"", "\"?x=1#f\"");
                Set(properties, "\"model\"", model);
                return (Serialize(random, properties), ok, $"unusual valid model {model}");
            }
            case 18:
            case 19:
            {
                var depth = random.Next(100, 201);
                var array = random.Next(2) == 0;
                var value = array ? new string('[', depth) + new string(']', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
                var target = Pick(random, "\"deep\"", "\"metadata\"", "\"model\"");
                Set(properties, target, value);
                // The gateway reads at most 128 levels; the body's own object is the first.
                var expect = depth <= 126 ? target == "\"model\"" ? new Expect(400, "invalid_type", "model") : ok : depth >= 129 ? new Expect(400, null, null) : null;
                return (Serialize(random, properties), expect, $"{target} nested {depth} deep");
            }
            case 20:
            {
                var number = Pick(random, "1e999999", "-1e-999999", "123456789012345678901234567890123456789", "1E+400", "-0.0", "0.0000000000000000000000001");
                properties.Add((Pick(random, "\"max_tokens\"", "\"temperature\"", "\"seed\"", "\"n\""), number));
                return (Serialize(random, properties), ok, $"huge number {number}");
            }
            case 21:
            {
                var (text, what) = Pick(random, ("", "empty body"), ("   \r\n\t ", "whitespace"), ("[]", "an array"), ("[{\"model\":\"gpt-fuzz\"}]", "an array of an object"),
                    ("\"gpt-fuzz\"", "a string"), ("42", "a number"), ("null", "null"), ("true", "true"));
                return (Encoding.UTF8.GetBytes(text), new Expect(400, null, null), what);
            }
            case 22:
            {
                var (tail, expect) = Pick(random, ("x", new Expect(400, null, null)), ("{}", new Expect(400, null, null)), ("]", new Expect(400, null, null)),
                    (" 1", new Expect(400, null, null)), ("\u0000", new Expect(400, null, null)), (" \r\n\t", ok), ("}", new Expect(400, null, null)));
                return ([.. Serialize(random, properties), .. Encoding.UTF8.GetBytes(tail)], expect, $"after the object: {FuzzWire.Show(Encoding.UTF8.GetBytes(tail))}");
            }
            case 23:
                return ([0xEF, 0xBB, 0xBF, .. Serialize(random, properties)], null, "a byte order mark");
            case 24:
            {
                var body = Encoding.UTF8.GetString(Serialize(random, properties));
                var (text, what) = random.Next(5) switch
                {
                    0 => (body.Insert(1, "/* c */"), "a block comment"),
                    1 => (body.Insert(1, "// c\n"), "a line comment"),
                    2 => (body.Insert(body.Length - 1, ","), "a trailing comma"),
                    3 => (body.Replace("\"model\"", "'model'", StringComparison.Ordinal).Replace("\"" + endpoint.Required + "\"", endpoint.Required, StringComparison.Ordinal), "unquoted or single-quoted names"),
                    _ => (body.Insert(1, "\"temperature\":NaN,"), "NaN"),
                };
                return (Encoding.UTF8.GetBytes(text), new Expect(400, null, null), text == body ? "unchanged" : what);
            }
            case 25:
            {
                // Parameters the gateway does not read may repeat: the upstream decides.
                var repeated = properties[random.Next(properties.Count)];
                if (repeated.Name is "\"model\"" or "\"stream\"" or "\"stream_options\"") return (Serialize(random, properties), ok, "valid");
                properties.Add(repeated);
                return (Serialize(random, properties), ok, $"{repeated.Name} twice");
            }
            case 26:
            {
                if (endpoint.RequiredMustBeArray) return (Serialize(random, properties), ok, "valid");
                var value = Pick(random, "123", "{}", "true", "[[[]]]");
                Set(properties, Quote(endpoint.Required), value);
                return (Serialize(random, properties), ok, $"{endpoint.Required} is {value}, which only the upstream checks");
            }
            case 27:
            {
                // A model property nested elsewhere is not the model.
                properties.Add(("\"metadata\"", "{\"model\":123,\"stream\":\"x\"}"));
                return (Serialize(random, properties), ok, "model and stream nested in another object");
            }
            default:
            {
                // Long content: still one valid request, just large.
                var length = random.Next(1000, 200_000);
                properties.Add(("\"user\"", Quote(new string('a', length))));
                return (Serialize(random, properties), ok, $"a {length}-character value");
            }
        }
    }

    /// <summary>Random byte edits: flips, insertions (biased to JSON's structural bytes), deletions, a repeated slice, truncation.</summary>
    private static byte[] ByteMutations(Random random, byte[] body, out string description)
    {
        var bytes = new List<byte>(body);
        var edits = new List<string>();
        byte[] interesting = [.. "{}[]\":,\\ -0e."u8, 0x00, 0x0A, 0x80, 0xC0, 0xED, 0xF0, 0xFF];
        for (int i = 0, n = random.Next(1, 5); i < n; i++)
        {
            var at = bytes.Count == 0 ? 0 : random.Next(bytes.Count);
            switch (random.Next(5))
            {
                case 0 when bytes.Count > 0:
                    var bit = 1 << random.Next(8);
                    bytes[at] ^= (byte)bit;
                    edits.Add($"flip {bit:X2}@{at}");
                    break;
                case 1:
                    var b = random.Next(2) == 0 ? interesting[random.Next(interesting.Length)] : (byte)random.Next(256);
                    bytes.Insert(at, b);
                    edits.Add($"insert {b:X2}@{at}");
                    break;
                case 2 when bytes.Count > 0:
                    var length = Math.Min(random.Next(1, 8), bytes.Count - at);
                    bytes.RemoveRange(at, length);
                    edits.Add($"delete {length}@{at}");
                    break;
                case 3 when bytes.Count > 0:
                    var slice = bytes.GetRange(at, Math.Min(random.Next(1, 32), bytes.Count - at));
                    bytes.InsertRange(at, slice);
                    edits.Add($"repeat {slice.Count}@{at}");
                    break;
                default:
                    bytes.RemoveRange(at, bytes.Count - at);
                    edits.Add($"truncate@{at}");
                    break;
            }
        }
        description = string.Join(", ", edits);
        return [.. bytes];
    }

    private static byte[] Serialize(Random random, List<(string Name, string Value)> properties)
    {
        string Space() => random.Next(4) == 0 ? Pick(random, " ", "\n", "\r\n  ", "\t") : "";
        var text = new StringBuilder("{");
        for (var i = 0; i < properties.Count; i++)
        {
            if (i > 0) text.Append(',');
            text.Append(Space()).Append(properties[i].Name).Append(Space()).Append(':').Append(Space()).Append(properties[i].Value).Append(Space());
        }
        return Encoding.UTF8.GetBytes(text.Append('}').ToString());
    }

    private static byte[] Splice(byte[] body, byte[] replacement)
    {
        var marker = Encoding.UTF8.GetBytes(Invalid);
        var at = body.AsSpan().IndexOf(marker);
        return [.. body.AsSpan(0, at), .. replacement, .. body.AsSpan(at + marker.Length)];
    }

    private static string Quote(string value) => JsonSerializer.Serialize(value, FuzzJson.Relaxed);

    private static void Set(List<(string Name, string Value)> properties, string name, string value)
    {
        var at = properties.FindIndex(p => p.Name == name);
        if (at >= 0) properties[at] = (name, value);
        else properties.Add((name, value));
    }

    private static void Remove(List<(string Name, string Value)> properties, string name) => properties.RemoveAll(p => p.Name == name);

    public static T Pick<T>(Random random, params T[] choices) => choices[random.Next(choices.Length)];

    private static void Shuffle<T>(Random random, List<T> list)
    {
        for (var i = list.Count - 1; i > 0; i--)
        {
            var j = random.Next(i + 1);
            (list[i], list[j]) = (list[j], list[i]);
        }
    }
}
