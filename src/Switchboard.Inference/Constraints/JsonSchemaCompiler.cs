using System.Text;
using System.Text.Json;

namespace Switchboard.Inference.Constraints;

/// <summary>
/// Compiles the JSON Schema subset OpenAI's structured outputs use into <see cref="JsonSchemaNode"/>s: <c>type</c>
/// (one or a list), <c>properties</c>, <c>required</c>, <c>additionalProperties</c>, <c>enum</c>, <c>const</c>,
/// <c>items</c>, <c>minItems</c>/<c>maxItems</c>, <c>minLength</c>/<c>maxLength</c>, <c>anyOf</c>, and <c>$ref</c>
/// to anywhere in the document (<c>$defs</c>, <c>definitions</c>, <c>#</c> for recursion). Annotations are ignored;
/// any other keyword is refused by name rather than silently not enforced. With <c>strict</c>, as OpenAI documents
/// for strict schemas, every property is required and no other property may appear. A schema with no finite value
/// (required properties recursing without end) is refused; optional parts with none are never entered. Names and
/// enum values are matched as compact JSON with strings in raw UTF-8 (only quotes, backslashes and controls escaped).
/// </summary>
public sealed class JsonSchemaCompiler
{
    private static readonly HashSet<string> Annotations =
        ["title", "description", "default", "examples", "$schema", "$id", "$comment", "deprecated", "readOnly", "writeOnly", "$defs", "definitions"];
    private const int Unbounded = JsonSchemaNode.Unbounded;
    // Bounds that keep compiling (and the recursion in it) small whatever a request sends.
    private const int MaxNodes = 2048;
    private const int MaxNesting = 128;
    private const int MaxLiteralDepth = 32;
    private int _nesting;

    private readonly JsonElement _document;
    private readonly bool _strict;
    private readonly Dictionary<string, JsonSchemaNode> _byPath = new(StringComparer.Ordinal);
    private readonly List<JsonSchemaNode> _nodes = [];

    private JsonSchemaCompiler(JsonElement document, bool strict)
    {
        _document = document;
        _strict = strict;
    }

    /// <summary>The root node of <paramref name="schema"/>, which must admit an object (OpenAI's rule for structured outputs).</summary>
    /// <exception cref="UnsupportedSchemaException">The schema uses something outside the subset, or allows no value.</exception>
    public static JsonSchemaNode Compile(JsonElement schema, bool strict)
    {
        var compiler = new JsonSchemaCompiler(schema, strict);
        JsonSchemaNode root;
        try
        {
            root = compiler.Node(schema, "#");
        }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            // A value of the wrong kind where a keyword expects a string or number, or a string no text can hold.
            throw new UnsupportedSchemaException("schema", "#", $"cannot be read: {e.Message}");
        }
        if (root.Resolve((byte)'{') is null) throw new UnsupportedSchemaException("type", "#", "the root must be an object.");
        foreach (var node in compiler._nodes)
        {
            if (node.AnyOf is not null && AlternativeOfItself(node))
                throw new UnsupportedSchemaException("anyOf", "#", "an alternative refers back to its own anyOf with no schema in between.");
        }
        Minimal(compiler._nodes);
        if (root.MinimalLength >= Unbounded) throw new UnsupportedSchemaException("required", "#", "required properties recurse without end: no value is finite.");
        Prune(compiler._nodes);
        root.Reach = compiler._nodes.Where(n => n.MinimalLength < Unbounded).Select(n => n.MinimalLength).DefaultIfEmpty(1).Max();
        return root;
    }

    private static bool AlternativeOfItself(JsonSchemaNode start)
    {
        var seen = new HashSet<JsonSchemaNode>();
        var stack = new Stack<JsonSchemaNode>([start]);
        while (stack.TryPop(out var node))
        {
            foreach (var alternative in node.AnyOf ?? [])
            {
                if (alternative == start) return true;
                if (seen.Add(alternative)) stack.Push(alternative);
            }
        }
        return false;
    }

    private JsonSchemaNode Node(JsonElement schema, string path)
    {
        // A $ref is its target: chains are followed to the schema they end at, so recursion meets the same node.
        (schema, path) = Target(schema, path);
        if (_byPath.TryGetValue(path, out var known)) return known;
        if (schema.ValueKind == JsonValueKind.True) return JsonSchemaNode.Any;
        if (_nodes.Count == MaxNodes) throw new UnsupportedSchemaException("schema", path, $"has more than {MaxNodes} schemas; local models take at most that many.");
        if (_nesting == MaxNesting) throw new UnsupportedSchemaException("schema", path, $"nests deeper than {MaxNesting} schemas.");
        _nesting++;
        try
        {
            return Fill(schema, path);
        }
        finally
        {
            _nesting--;
        }
    }

    private JsonSchemaNode Fill(JsonElement schema, string path)
    {
        var node = New();
        // Registered before it is filled, so a $ref back to it (recursion) finds it.
        _byPath[path] = node;
        if (schema.ValueKind != JsonValueKind.Object) throw new UnsupportedSchemaException("schema", path, "must be an object or true.");
        if (schema.TryGetProperty("anyOf", out var anyOf))
        {
            Alone(schema, path, "anyOf");
            if (anyOf.ValueKind != JsonValueKind.Array || anyOf.GetArrayLength() == 0)
                throw new UnsupportedSchemaException("anyOf", path, "must be a non-empty array of schemas.");
            node.AnyOf = Merged([.. anyOf.EnumerateArray().Select((alternative, i) => Node(alternative, $"{path}/anyOf/{i}"))]);
            return node;
        }
        foreach (var property in schema.EnumerateObject())
        {
            var at = $"{path}/{property.Name}";
            var value = property.Value;
            switch (property.Name)
            {
                case "type": node.Types = Types(value, at); break;
                case "properties": Properties(node, value, path); break;
                case "required": break;
                case "additionalProperties":
                    if (_strict) break;
                    node.Additional = value.ValueKind == JsonValueKind.False ? null : Node(value, at);
                    break;
                case "items":
                    if (value.ValueKind == JsonValueKind.False) node.MaxItems = 0;
                    else node.Items = Node(value, at);
                    break;
                case "minItems": node.MinItems = Count(value, property.Name, path); break;
                case "maxItems": node.MaxItems = Math.Min(node.MaxItems, Count(value, property.Name, path)); break;
                case "minLength": node.MinLength = Count(value, property.Name, path); break;
                case "maxLength": node.MaxLength = Count(value, property.Name, path); break;
                case "enum":
                    if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
                        throw new UnsupportedSchemaException("enum", path, "must be a non-empty array.");
                    node.Literals = [.. value.EnumerateArray().Select(v => Literal(v, path))];
                    break;
                case "const": node.Literals = [Literal(value, path)]; break;
                default:
                    if (!Annotations.Contains(property.Name))
                        throw new UnsupportedSchemaException(property.Name, path, "is not supported by local models' structured output (supported: type, properties, required, additionalProperties, enum, const, items, minItems, maxItems, minLength, maxLength, anyOf, $ref, $defs).");
                    break;
            }
        }
        if (!schema.TryGetProperty("additionalProperties", out _) && !_strict) node.Additional = JsonSchemaNode.Any;
        Required(node, schema, path);
        Check(node, schema, path);
        node.Items ??= JsonSchemaNode.Any;
        return node;
    }

    private JsonSchemaNode New()
    {
        var node = new JsonSchemaNode { MinimalLength = -1 };
        _nodes.Add(node);
        return node;
    }

    private void Properties(JsonSchemaNode node, JsonElement properties, string path)
    {
        if (properties.ValueKind != JsonValueKind.Object) throw new UnsupportedSchemaException("properties", path, "must be an object of schemas.");
        var list = properties.EnumerateObject().ToList();
        if (list.Count > JsonSchemaNode.MaxProperties)
            throw new UnsupportedSchemaException("properties", path, $"has {list.Count} properties; local models take at most {JsonSchemaNode.MaxProperties} per object.");
        node.Properties = [.. list.Select(p => Node(p.Value, $"{path}/properties/{p.Name}"))];
        var names = list.Select((p, i) => (Bytes: StringContents(p.Name, path), Index: i))
            .OrderBy(n => n.Bytes, SortedBytes.Order).ToList();
        node.Names = [.. names.Select(n => n.Bytes)];
        node.NameProperty = [.. names.Select(n => n.Index)];
    }

    private void Required(JsonSchemaNode node, JsonElement schema, string path)
    {
        var names = schema.TryGetProperty("properties", out var properties) && properties.ValueKind == JsonValueKind.Object
            ? properties.EnumerateObject().Select(p => p.Name).ToList()
            : [];
        if (schema.TryGetProperty("required", out var required))
        {
            if (required.ValueKind != JsonValueKind.Array || required.EnumerateArray().Any(r => r.ValueKind != JsonValueKind.String))
                throw new UnsupportedSchemaException("required", path, "must be an array of property names.");
            foreach (var name in required.EnumerateArray().Select(r => r.GetString()!))
            {
                var index = names.IndexOf(name);
                // A required property the schema does not describe could only be an additional one: not generated.
                if (index < 0) throw new UnsupportedSchemaException("required", path, $"names '{name}', which is not in properties.");
                node.Required |= 1UL << index;
            }
        }
        if (_strict && names.Count > 0) node.Required = names.Count == 64 ? ulong.MaxValue : (1UL << names.Count) - 1;
    }

    private static void Check(JsonSchemaNode node, JsonElement schema, string path)
    {
        if (node.Literals is { } literals)
        {
            if (schema.TryGetProperty("type", out _)) node.Literals = [.. literals.Where(l => node.TypeStarts(l[0]) && (!node.IntegerOnly || !IsFraction(l)))];
            // Kept sorted by bytes: the values still possible after a prefix are then a contiguous range.
            node.Literals = [.. node.Literals.OrderBy(l => l, SortedBytes.Order)];
            if (node.Literals.Length == 0) throw new UnsupportedSchemaException("enum", path, "has no value of the schema's type.");
        }
        if (node.Types == JsonTypes.None) throw new UnsupportedSchemaException("type", path, "admits no type.");
        if (node.MinItems > node.MaxItems) throw new UnsupportedSchemaException("minItems", path, "is greater than maxItems.");
        if (node.MinLength > node.MaxLength) throw new UnsupportedSchemaException("minLength", path, "is greater than maxLength.");
    }

    private static bool IsFraction(byte[] literal) => literal[0] is (byte)'-' or >= (byte)'0' and <= (byte)'9' && literal.AsSpan().IndexOfAny(".eE"u8) >= 0;

    private (JsonElement Schema, string Path) Target(JsonElement schema, string path)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var reference))
        {
            Alone(schema, path, "$ref");
            if (reference.ValueKind != JsonValueKind.String || reference.GetString() is not { } target || !(target == "#" || target.StartsWith("#/", StringComparison.Ordinal)))
                throw new UnsupportedSchemaException("$ref", path, "must point into this schema (#, #/$defs/name).");
            if (!seen.Add(target)) throw new UnsupportedSchemaException("$ref", path, $"'{target}' refers back to itself with no schema in between.");
            var element = _document;
            foreach (var segment in target.Split('/').Skip(1))
            {
                var name = segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
                if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var child)) element = child;
                else if (element.ValueKind == JsonValueKind.Array && int.TryParse(name, out var i) && i >= 0 && i < element.GetArrayLength()) element = element[i];
                else throw new UnsupportedSchemaException("$ref", path, $"'{target}' points at nothing.");
            }
            (schema, path) = (element, target);
        }
        return (schema, path);
    }

    private static void Alone(JsonElement schema, string path, string keyword)
    {
        foreach (var property in schema.EnumerateObject())
        {
            if (property.Name != keyword && !Annotations.Contains(property.Name))
                throw new UnsupportedSchemaException(property.Name, path, $"cannot stand beside '{keyword}' here; put it inside the referenced or alternative schemas.");
        }
    }

    private static JsonTypes Types(JsonElement value, string at)
    {
        var names = value.ValueKind == JsonValueKind.Array ? value.EnumerateArray().ToList() : [value];
        var types = JsonTypes.None;
        foreach (var name in names)
        {
            if (name.ValueKind != JsonValueKind.String) throw new UnsupportedSchemaException("type", at[..at.LastIndexOf('/')], "must be a type name or a list of them.");
            types |= name.GetString() switch
            {
                "object" => JsonTypes.Object,
                "array" => JsonTypes.Array,
                "string" => JsonTypes.String,
                "number" => JsonTypes.Number | JsonTypes.Integer,
                "integer" => JsonTypes.Integer,
                "boolean" => JsonTypes.Boolean,
                "null" => JsonTypes.Null,
                _ => throw new UnsupportedSchemaException("type", at[..at.LastIndexOf('/')], $"'{name}' is not a JSON Schema type."),
            };
        }
        return types;
    }

    private static int Count(JsonElement value, string keyword, string path) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var count) && count >= 0
            ? count
            : throw new UnsupportedSchemaException(keyword, path, "must be a non-negative integer.");

    /// <summary>An enum or const value as the answer must spell it: compact, strings in raw UTF-8.</summary>
    private static byte[] Literal(JsonElement value, string path)
    {
        var bytes = new List<byte>();
        Write(value, bytes, 0, path);
        return [.. bytes];
    }

    private static void Write(JsonElement value, List<byte> bytes, int depth, string path)
    {
        if (depth > MaxLiteralDepth) throw new UnsupportedSchemaException("enum", path, $"has a value nested deeper than {MaxLiteralDepth}.");
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                bytes.Add((byte)'{');
                var first = true;
                foreach (var property in value.EnumerateObject())
                {
                    if (!first) bytes.Add((byte)',');
                    first = false;
                    bytes.Add((byte)'"');
                    bytes.AddRange(StringContents(property.Name, path));
                    bytes.AddRange("\":"u8.ToArray());
                    Write(property.Value, bytes, depth + 1, path);
                }
                bytes.Add((byte)'}');
                break;
            case JsonValueKind.Array:
                bytes.Add((byte)'[');
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    if (index++ > 0) bytes.Add((byte)',');
                    Write(item, bytes, depth + 1, path);
                }
                bytes.Add((byte)']');
                break;
            case JsonValueKind.String:
                bytes.Add((byte)'"');
                bytes.AddRange(StringContents(value.GetString()!, path));
                bytes.Add((byte)'"');
                break;
            default:
                var raw = value.GetRawText();
                if (raw.Length > JsonState.MaxNumberBytes) throw new UnsupportedSchemaException("enum", path, $"has a number longer than {JsonState.MaxNumberBytes} characters.");
                bytes.AddRange(Encoding.ASCII.GetBytes(raw));
                break;
        }
    }

    /// <summary>A string's JSON contents with only what must be escaped escaped, so a model writes it as it reads.</summary>
    private static byte[] StringContents(string text, string path)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsSurrogate(c) && !(char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])))
                throw new UnsupportedSchemaException("schema", path, "holds a string with a lone surrogate, which no answer can spell.");
            switch (c)
            {
                case '"': bytes.AddRange("\\\""u8.ToArray()); break;
                case '\\': bytes.AddRange("\\\\"u8.ToArray()); break;
                case '\n': bytes.AddRange("\\n"u8.ToArray()); break;
                case '\r': bytes.AddRange("\\r"u8.ToArray()); break;
                case '\t': bytes.AddRange("\\t"u8.ToArray()); break;
                case < ' ': bytes.AddRange(Encoding.ASCII.GetBytes($"\\u{(int)c:x4}")); break;
                default:
                    var length = char.IsHighSurrogate(c) ? 2 : 1;
                    bytes.AddRange(Encoding.UTF8.GetBytes(text.ToCharArray(i, length)));
                    i += length - 1;
                    break;
            }
        }
        return [.. bytes];
    }

    /// <summary>Enum and const alternatives as one: a value is matched to an alternative by its first byte, and theirs all start alike.</summary>
    private JsonSchemaNode[] Merged(JsonSchemaNode[] alternatives)
    {
        var literal = alternatives.Where(a => a.Literals is not null).ToList();
        if (literal.Count < 2) return alternatives;
        var merged = New();
        merged.Literals = [.. literal.SelectMany(a => a.Literals!).Distinct(ByteSequence.Instance).OrderBy(l => l, SortedBytes.Order)];
        merged.Items = JsonSchemaNode.Any;
        var first = Array.IndexOf(alternatives, literal[0]);
        return [.. alternatives.Take(first), merged, .. alternatives.Skip(first).Where(a => a.Literals is null)];
    }

    /// <summary>
    /// Every node's shortest value (its length and first byte), so a cut-short answer can be completed the cheapest
    /// way: relaxed until nothing changes, since recursion makes the graph cyclic. Nodes with no finite value stay
    /// <see cref="Unbounded"/>.
    /// </summary>
    private static void Minimal(List<JsonSchemaNode> nodes)
    {
        foreach (var node in nodes) (node.MinimalLength, node.MinimalFirst) = (Unbounded, 0);
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var node in nodes)
            {
                var (length, first) = Shortest(node);
                if (length >= node.MinimalLength) continue;
                (node.MinimalLength, node.MinimalFirst) = (length, first);
                changed = true;
            }
        }
    }

    private static (int Length, byte First) Shortest(JsonSchemaNode node)
    {
        var (length, first) = (Unbounded, (byte)0);
        void Consider(long candidate, byte start)
        {
            if (candidate < length) (length, first) = ((int)candidate, start);
        }
        if (node.AnyOf is { } alternatives)
        {
            foreach (var alternative in alternatives) Consider(alternative.MinimalLength, alternative.MinimalFirst);
        }
        else if (node.Literals is { } literals)
        {
            foreach (var literal in literals) Consider(literal.Length, literal[0]);
        }
        else
        {
            if ((node.Types & (JsonTypes.Number | JsonTypes.Integer)) != 0) Consider(1, (byte)'0');
            if ((node.Types & JsonTypes.Null) != 0) Consider(4, (byte)'n');
            if ((node.Types & JsonTypes.Boolean) != 0) Consider(4, (byte)'t');
            if ((node.Types & JsonTypes.String) != 0) Consider(2L + node.MinLength, (byte)'"');
            if ((node.Types & JsonTypes.Array) != 0) Consider(2L + (long)node.MinItems * (node.Items!.MinimalLength + 1), (byte)'[');
            if ((node.Types & JsonTypes.Object) != 0)
            {
                long total = 2;
                for (var i = 0; i < node.Names.Length; i++)
                {
                    var property = node.NameProperty[i];
                    if ((node.Required >> property & 1) != 0) total += node.Names[i].Length + 4L + node.Properties[property].MinimalLength;
                }
                Consider(total, (byte)'{');
            }
        }
        return (length, first);
    }

    /// <summary>Parts with no finite value are closed off, so an answer never enters what it could not finish.</summary>
    private static void Prune(List<JsonSchemaNode> nodes)
    {
        foreach (var node in nodes)
        {
            if (node.AnyOf is { } alternatives) node.AnyOf = [.. alternatives.Where(a => a.MinimalLength < Unbounded)];
            if (node.Items is { MinimalLength: >= Unbounded }) node.MaxItems = 0;
            if (node.Additional is { MinimalLength: >= Unbounded }) node.Additional = null;
            for (var p = 0; p < node.Properties.Length; p++)
            {
                if (node.Properties[p].MinimalLength >= Unbounded) node.Unusable |= 1UL << p;
            }
        }
    }

    private sealed class ByteSequence : IEqualityComparer<byte[]>
    {
        public static ByteSequence Instance { get; } = new();
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj) => obj.Length == 0 ? 0 : HashCode.Combine(obj.Length, obj[0], obj[^1]);
    }
}
