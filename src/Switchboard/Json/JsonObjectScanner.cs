using System.Text.Json;

namespace Switchboard.Json;

/// <summary>
/// One property of a JSON object as byte offsets into the text it was read from: <see cref="Start"/> is the
/// name's opening quote, <see cref="ValueStart"/> the value's first byte, <see cref="End"/> one past its last.
/// </summary>
internal readonly record struct JsonPropertyRange(int Start, int ValueStart, int End, JsonTokenType Kind)
{
    public static readonly JsonPropertyRange None = new(-1, -1, -1, JsonTokenType.None);

    public bool Exists => Start >= 0;
    public int ValueLength => End - ValueStart;
}

/// <summary>
/// Walks the properties of one JSON object by byte offset, validating the syntax of the whole text on the way
/// (nested values are skipped, not materialised). The gateway edits and relays JSON by splicing these ranges,
/// so what a client or upstream sent is never decoded and re-encoded: bytes it does not touch pass unchanged,
/// and strings that do not survive decoding (unpaired surrogates, invalid UTF-8) cannot make it fail.
/// Invalid JSON throws <see cref="JsonException"/>; callers turn that into their own outcome.
/// </summary>
internal ref struct JsonObjectScanner
{
    /// <summary>How deeply upstream and client JSON may nest (the framework's default is 64; some tool schemas nest deeper).</summary>
    public const int MaxDepth = 128;
    private static readonly JsonReaderOptions Options = new() { MaxDepth = MaxDepth };
    private Utf8JsonReader _reader;
    private int _nameStart;

    public JsonObjectScanner(ReadOnlySpan<byte> json) => _reader = new Utf8JsonReader(json, Options);

    /// <summary>The offset of the opening brace, after <see cref="TryReadStart"/>.</summary>
    public int ObjectStart { get; private set; }

    /// <summary>The offset of the closing brace, once <see cref="MoveNext"/> has returned false.</summary>
    public int ObjectEnd { get; private set; }

    /// <summary>Reads the opening brace; false when the text is some other JSON value.</summary>
    public bool TryReadStart()
    {
        if (!_reader.Read() || _reader.TokenType != JsonTokenType.StartObject) return false;
        ObjectStart = (int)_reader.TokenStartIndex;
        return true;
    }

    /// <summary>Moves to the next property name; at the object's end checks that nothing but whitespace follows and returns false.</summary>
    public bool MoveNext()
    {
        _reader.Read();
        if (_reader.TokenType == JsonTokenType.EndObject)
        {
            ObjectEnd = (int)_reader.TokenStartIndex;
            // A second value after the object is a syntax error the reader raises here.
            while (_reader.Read()) { }
            return false;
        }
        _nameStart = (int)_reader.TokenStartIndex;
        return true;
    }

    /// <summary>Whether the current property's name, unescaped, is <paramref name="name"/>.</summary>
    public readonly bool NameIs(ReadOnlySpan<byte> name)
    {
        // Names are almost never escaped: then the raw bytes are the name, and comparing them is a memcmp.
        if (!_reader.ValueIsEscaped) return _reader.ValueSpan.SequenceEqual(name);
        try
        {
            return _reader.ValueTextEquals(name);
        }
        catch (InvalidOperationException)
        {
            return false;    // an escape that decodes to an unpaired surrogate names nothing we look for
        }
    }

    /// <summary>Reads the current property's value (a nested object or array whole) and returns its range.</summary>
    public JsonPropertyRange ReadValue()
    {
        _reader.Read();
        var valueStart = (int)_reader.TokenStartIndex;
        var kind = _reader.TokenType;
        if (kind is JsonTokenType.StartObject or JsonTokenType.StartArray) _reader.Skip();
        return new JsonPropertyRange(_nameStart, valueStart, (int)_reader.BytesConsumed, kind);
    }

    /// <summary>The string value just read, or null when it does not decode (invalid UTF-8 or an unpaired surrogate).</summary>
    public readonly string? TryGetString()
    {
        try
        {
            return _reader.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The number just read as a non-negative 32-bit count, or null.</summary>
    public readonly int? TryGetCount() => _reader.TryGetInt32(out var value) && value >= 0 ? value : null;

    /// <summary>Whether an array value (its range within <paramref name="json"/>) has at least one element.</summary>
    public static bool IsNonEmptyArray(ReadOnlySpan<byte> json, JsonPropertyRange range) =>
        range.Kind == JsonTokenType.StartArray && json[(range.ValueStart + 1)..range.End].TrimStart(" \t\r\n"u8)[0] != (byte)']';
}
