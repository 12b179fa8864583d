namespace Switchboard.Json;

/// <summary>Replace the bytes [<see cref="Start"/>, <see cref="End"/>) of a JSON text with <see cref="Replacement"/> (an insertion when they are equal).</summary>
internal readonly record struct JsonEdit(int Start, int End, ReadOnlyMemory<byte> Replacement)
{
    /// <summary>The range that removes <paramref name="property"/> together with the comma that separates it from a neighbour.</summary>
    public static JsonEdit RemoveProperty(ReadOnlySpan<byte> json, JsonPropertyRange property)
    {
        var after = json[property.End..];
        var next = after.IndexOfAnyExcept(" \t\r\n"u8);
        if (next >= 0 && after[next] == (byte)',') return new JsonEdit(property.Start, property.End + next + 1, default);
        var before = json[..property.Start].LastIndexOfAnyExcept(" \t\r\n"u8);
        if (before >= 0 && json[before] == (byte)',') return new JsonEdit(before, property.End, default);
        return new JsonEdit(property.Start, property.End, default);
    }

    /// <summary>The length of a text of <paramref name="sourceLength"/> bytes after <paramref name="edits"/> (sorted by position, not overlapping).</summary>
    public static int EditedLength(int sourceLength, ReadOnlySpan<JsonEdit> edits)
    {
        var length = sourceLength;
        foreach (var edit in edits) length += edit.Replacement.Length - (edit.End - edit.Start);
        return length;
    }

    /// <summary>Writes <paramref name="source"/> with <paramref name="edits"/> applied into <paramref name="destination"/>.</summary>
    public static void Apply(ReadOnlySpan<byte> source, ReadOnlySpan<JsonEdit> edits, Span<byte> destination)
    {
        var from = 0;
        foreach (var edit in edits)
        {
            source[from..edit.Start].CopyTo(destination);
            destination = destination[(edit.Start - from)..];
            edit.Replacement.Span.CopyTo(destination);
            destination = destination[edit.Replacement.Length..];
            from = edit.End;
        }
        source[from..].CopyTo(destination);
    }
}
