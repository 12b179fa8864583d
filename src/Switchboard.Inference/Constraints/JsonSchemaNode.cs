namespace Switchboard.Inference.Constraints;

/// <summary>The JSON types a schema node admits (<c>integer</c> apart from <c>number</c>, as JSON Schema has it).</summary>
[Flags]
internal enum JsonTypes : byte
{
    None = 0,
    Object = 1,
    Array = 2,
    String = 4,
    Number = 8,
    Integer = 16,
    Boolean = 32,
    Null = 64,
    Any = Object | Array | String | Number | Integer | Boolean | Null,
}

/// <summary>
/// One node of a compiled JSON schema (<see cref="JsonSchemaCompiler"/>), in the form <see cref="SchemaState"/> checks
/// byte by byte: property names as encoded bytes sorted for prefix ranges, required properties as a bit mask, enum
/// and const values as their compact JSON text sorted the same way. <c>$ref</c> is resolved into the graph, which
/// may therefore have cycles.
/// </summary>
public sealed class JsonSchemaNode
{
    /// <summary>Properties per object node: the required ones are a 64-bit mask.</summary>
    public const int MaxProperties = 64;

    /// <summary>The minimal length of a node with no finite value.</summary>
    internal const int Unbounded = 1 << 24;

    /// <summary>Any JSON value (the schema <c>true</c>, or what an unconstrained member holds).</summary>
    internal static JsonSchemaNode Any { get; } = AnyValue();

    private static JsonSchemaNode AnyValue()
    {
        var any = new JsonSchemaNode { MinimalLength = 1, MinimalFirst = (byte)'0' };
        any.Additional = any;
        any.Items = any;
        return any;
    }

    internal JsonTypes Types { get; set; } = JsonTypes.Any;

    /// <summary>Alternatives (<c>anyOf</c>): a value takes the first whose first byte fits.</summary>
    internal JsonSchemaNode[]? AnyOf { get; set; }

    /// <summary>The only values allowed (<c>enum</c>, <c>const</c>), as compact JSON, sorted by bytes.</summary>
    internal byte[][]? Literals { get; set; }

    /// <summary>Property names as JSON string contents (escaped, without quotes), sorted by bytes.</summary>
    internal byte[][] Names { get; set; } = [];

    /// <summary>For each sorted name, its property's index.</summary>
    internal int[] NameProperty { get; set; } = [];

    /// <summary>Each property's schema, by index (the schema's order).</summary>
    internal JsonSchemaNode[] Properties { get; set; } = [];

    /// <summary>Property indexes that must appear.</summary>
    internal ulong Required { get; set; }

    /// <summary>Property indexes that may not appear: their schemas have no finite value.</summary>
    internal ulong Unusable { get; set; }

    /// <summary>On the root: the longest of its nodes' shortest values, what one token can add to a completion at most per value it opens.</summary>
    internal int Reach { get; set; }

    /// <summary>The schema of properties not named, or null when none may appear (<c>additionalProperties: false</c>).</summary>
    internal JsonSchemaNode? Additional { get; set; }

    internal JsonSchemaNode? Items { get; set; }
    internal int MinItems { get; set; }
    internal int MaxItems { get; set; } = int.MaxValue;
    internal int MinLength { get; set; }
    internal int MaxLength { get; set; } = int.MaxValue;

    /// <summary>The length in bytes of this node's shortest value, and the first byte of it.</summary>
    internal int MinimalLength { get; set; }
    internal byte MinimalFirst { get; set; }

    /// <summary>Numbers must be integers: no fraction, no exponent.</summary>
    internal bool IntegerOnly => (Types & JsonTypes.Number) == 0;

    /// <summary>Whether a value of this node (before <c>anyOf</c> is resolved) may begin with <paramref name="b"/>.</summary>
    internal bool Starts(byte b)
    {
        if (Literals is { } literals) return literals.Any(l => l[0] == b);
        return TypeStarts(b);
    }

    /// <summary>Whether the node's types admit a value beginning with <paramref name="b"/>.</summary>
    internal bool TypeStarts(byte b)
    {
        var type = b switch
        {
            (byte)'{' => JsonTypes.Object,
            (byte)'[' => JsonTypes.Array,
            (byte)'"' => JsonTypes.String,
            (byte)'-' or >= (byte)'0' and <= (byte)'9' => JsonTypes.Number | JsonTypes.Integer,
            (byte)'t' or (byte)'f' => JsonTypes.Boolean,
            (byte)'n' => JsonTypes.Null,
            _ => JsonTypes.None,
        };
        return (Types & type) != 0;
    }

    /// <summary>The node a value beginning with <paramref name="b"/> follows: itself, or the first alternative that fits.</summary>
    internal JsonSchemaNode? Resolve(byte b)
    {
        if (AnyOf is not { } alternatives) return Starts(b) ? this : null;
        foreach (var alternative in alternatives)
        {
            if (alternative.Resolve(b) is { } node) return node;
        }
        return null;
    }
}
