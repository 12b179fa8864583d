using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text.Json;

namespace Switchboard.Json;

/// <summary>The top-level members of an upstream answer (a body or a stream chunk) the gateway acts on; <see cref="JsonPropertyRange.None"/> where absent (the last wins if repeated).</summary>
internal struct ResponseMembers
{
    public JsonPropertyRange Usage;
    public JsonPropertyRange Choices;
    public JsonPropertyRange Error;
}

/// <summary>
/// Whether a text is exactly one JSON object (RFC 8259 syntax; strings are not checked for UTF-8 or paired
/// surrogates, as <c>Utf8JsonReader</c> does not check them either), and where its top-level <c>usage</c>,
/// <c>choices</c> and <c>error</c> are. Written for the stream relay, which checks every upstream event: it costs
/// less than half of <c>Utf8JsonReader</c>'s nanosecond a byte (short strings are skipped with a look-up table,
/// long ones with vectorised searches). Accepts and rejects the same texts as <c>Utf8JsonReader</c> with default
/// options and <see cref="MaxDepth"/> (a differential test holds it to that). Compiled fully optimised up front:
/// left to tiering on a saturated core, it ran instrumented for the whole of a benchmark.
/// </summary>
internal static class JsonSyntax
{
    public const int MaxDepth = 128;
    private static readonly SearchValues<byte> StringSpecials = SearchValues.Create([(byte)'"', (byte)'\\', .. Enumerable.Range(0, 0x20).Select(b => (byte)b)]);
    private static readonly SearchValues<byte> Whitespace = SearchValues.Create(" \t\r\n"u8);
    private static readonly bool[] IsStringSpecial = [.. Enumerable.Range(0, 256).Select(b => b < 0x20 || b == '"' || b == '\\')];
    private static readonly SearchValues<byte> Hex = SearchValues.Create("0123456789abcdefABCDEF"u8);

    /// <summary>Whether <paramref name="json"/> is one JSON object; if so, where its members of interest are.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static bool TryScanResponse(ReadOnlySpan<byte> json, out ResponseMembers members)
    {
        members = new ResponseMembers { Usage = JsonPropertyRange.None, Choices = JsonPropertyRange.None, Error = JsonPropertyRange.None };
        var at = SkipWhitespace(json, 0);
        if (at >= json.Length || json[at] != (byte)'{') return false;
        at = SkipWhitespace(json, at + 1);
        if (at < json.Length && json[at] == (byte)'}') return SkipWhitespace(json, at + 1) == json.Length;
        while (true)
        {
            if (at >= json.Length || json[at] != (byte)'"') return false;
            var nameStart = at;
            at = String(json, at);
            if (at < 0) return false;
            var name = json[nameStart..at];
            at = SkipWhitespace(json, at);
            if (at >= json.Length || json[at] != (byte)':') return false;
            at = SkipWhitespace(json, at + 1);
            if (at >= json.Length) return false;
            var valueStart = at;
            at = Value(json, at, depth: 1);
            if (at < 0) return false;
            // Most names are neither: their length alone says so, unless they are escaped.
            if (name.Length is 7 or 9 || name.IndexOf((byte)'\\') >= 0)
            {
                var member = new JsonPropertyRange(nameStart, valueStart, at, KindOf(json[valueStart]));
                if (NameIs(name, "\"usage\""u8)) members.Usage = member;
                else if (NameIs(name, "\"choices\""u8)) members.Choices = member;
                else if (NameIs(name, "\"error\""u8)) members.Error = member;
            }
            at = SkipWhitespace(json, at);
            if (at >= json.Length) return false;
            if (json[at] == (byte)'}') return SkipWhitespace(json, at + 1) == json.Length;
            if (json[at] != (byte)',') return false;
            at = SkipWhitespace(json, at + 1);
        }
    }

    /// <summary>Whether a quoted name is <paramref name="quoted"/>; escaped names (rare) are decoded to compare.</summary>
    private static bool NameIs(ReadOnlySpan<byte> name, ReadOnlySpan<byte> quoted)
    {
        if (name.IndexOf((byte)'\\') < 0) return name.SequenceEqual(quoted);
        var reader = new Utf8JsonReader(name);
        reader.Read();
        try
        {
            return reader.ValueTextEquals(quoted[1..^1]);
        }
        catch (InvalidOperationException)
        {
            return false;    // an escape that decodes to an unpaired surrogate names nothing we look for
        }
    }

    private static JsonTokenType KindOf(byte first) => first switch
    {
        (byte)'{' => JsonTokenType.StartObject,
        (byte)'[' => JsonTokenType.StartArray,
        (byte)'"' => JsonTokenType.String,
        (byte)'t' => JsonTokenType.True,
        (byte)'f' => JsonTokenType.False,
        (byte)'n' => JsonTokenType.Null,
        _ => JsonTokenType.Number,
    };

    /// <summary>Checks the value starting at <paramref name="at"/>; returns the offset after it, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Value(ReadOnlySpan<byte> json, int at, int depth)
    {
        switch (json[at])
        {
            case (byte)'{':
                if (++depth > MaxDepth) return -1;
                at = SkipWhitespace(json, at + 1);
                if (at < json.Length && json[at] == (byte)'}') return at + 1;
                while (true)
                {
                    if (at >= json.Length || json[at] != (byte)'"') return -1;
                    at = String(json, at);
                    if (at < 0) return -1;
                    at = SkipWhitespace(json, at);
                    if (at >= json.Length || json[at] != (byte)':') return -1;
                    at = SkipWhitespace(json, at + 1);
                    if (at >= json.Length) return -1;
                    at = Value(json, at, depth);
                    if (at < 0) return -1;
                    at = SkipWhitespace(json, at);
                    if (at >= json.Length) return -1;
                    if (json[at] == (byte)'}') return at + 1;
                    if (json[at] != (byte)',') return -1;
                    at = SkipWhitespace(json, at + 1);
                }
            case (byte)'[':
                if (++depth > MaxDepth) return -1;
                at = SkipWhitespace(json, at + 1);
                if (at < json.Length && json[at] == (byte)']') return at + 1;
                while (true)
                {
                    if (at >= json.Length) return -1;
                    at = Value(json, at, depth);
                    if (at < 0) return -1;
                    at = SkipWhitespace(json, at);
                    if (at >= json.Length) return -1;
                    if (json[at] == (byte)']') return at + 1;
                    if (json[at] != (byte)',') return -1;
                    at = SkipWhitespace(json, at + 1);
                }
            case (byte)'"':
                return String(json, at);
            case (byte)'t':
                return json[at..].StartsWith("true"u8) ? at + 4 : -1;
            case (byte)'f':
                return json[at..].StartsWith("false"u8) ? at + 5 : -1;
            case (byte)'n':
                return json[at..].StartsWith("null"u8) ? at + 4 : -1;
            default:
                return Number(json, at);
        }
    }

    /// <summary>The offset after the string whose opening quote is at <paramref name="at"/>, or -1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int String(ReadOnlySpan<byte> json, int at)
    {
        at++;
        while (true)
        {
            // Most strings in an event are short (names, ids): a scalar look-up beats starting a vector search.
            var end = Math.Min(json.Length, at + 16);
            while (at < end && !IsStringSpecial[json[at]]) at++;
            if (at == end)
            {
                if (at == json.Length) return -1;
                var special = json[at..].IndexOfAny(StringSpecials);
                if (special < 0) return -1;
                at += special;
            }
            switch (json[at])
            {
                case (byte)'"':
                    return at + 1;
                case (byte)'\\':
                    if (at + 1 >= json.Length) return -1;
                    switch (json[at + 1])
                    {
                        case (byte)'"' or (byte)'\\' or (byte)'/' or (byte)'b' or (byte)'f' or (byte)'n' or (byte)'r' or (byte)'t':
                            at += 2;
                            break;
                        case (byte)'u':
                            if (at + 6 > json.Length || json.Slice(at + 2, 4).IndexOfAnyExcept(Hex) >= 0) return -1;
                            at += 6;
                            break;
                        default:
                            return -1;
                    }
                    break;
                default:
                    return -1;    // a control character, which JSON requires escaped
            }
        }
    }

    /// <summary>-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Number(ReadOnlySpan<byte> json, int at)
    {
        if (json[at] == (byte)'-' && ++at >= json.Length) return -1;
        if (json[at] == (byte)'0') at++;
        else if (IsDigit(json[at])) at = Digits(json, at);
        else return -1;
        if (at < json.Length && json[at] == (byte)'.')
        {
            if (++at >= json.Length || !IsDigit(json[at])) return -1;
            at = Digits(json, at);
        }
        if (at < json.Length && (json[at] | 0x20) == (byte)'e')
        {
            if (++at < json.Length && json[at] is (byte)'+' or (byte)'-') at++;
            if (at >= json.Length || !IsDigit(json[at])) return -1;
            at = Digits(json, at);
        }
        // A number must end at a delimiter: "1x" or "01" are not numbers.
        return at == json.Length || json[at] is (byte)',' or (byte)'}' or (byte)']' || Whitespace.Contains(json[at]) ? at : -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int Digits(ReadOnlySpan<byte> json, int at)
    {
        while (at < json.Length && IsDigit(json[at])) at++;
        return at;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int SkipWhitespace(ReadOnlySpan<byte> json, int at)
    {
        while (at < json.Length && json[at] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n') at++;
        return at;
    }
}
