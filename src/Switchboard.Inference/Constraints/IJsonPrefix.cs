namespace Switchboard.Inference.Constraints;

/// <summary>
/// A byte-level recogniser of what a constrained answer may be, as a small value copied freely while masking: JSON
/// mode's <see cref="JsonState"/> or a schema's <see cref="SchemaState"/>. Every prefix it accepts can still be
/// completed, so masking never leaves a sequence with nothing valid to say.
/// </summary>
public interface IJsonPrefix
{
    /// <summary>Takes one byte; false when the text would no longer be a valid prefix (the value is then spent).</summary>
    bool Advance(byte b);

    /// <summary>The value is whole: only the end may follow.</summary>
    bool IsComplete { get; }

    /// <summary>
    /// How many characters of plain string text (see <see cref="TokenTrie.PlainString"/>) are acceptable here as they
    /// come, without a check byte by byte: <see cref="int.MaxValue"/> inside an unbounded string, what a
    /// <c>maxLength</c> leaves, or -1 where plain text needs checking (outside strings, keys of closed objects).
    /// </summary>
    int PlainTextRoom { get; }

    /// <summary>
    /// Plain string text cannot lengthen the completion from here (inside a string value, or a key whose name is free);
    /// tokens of it need no check against the budget.
    /// </summary>
    bool PlainTextKeepsCompletion { get; }

    /// <summary>The next byte of the shortest completion of the value (see <see cref="JsonCompletion"/>); only while it is not complete.</summary>
    byte NextClosingByte();
}

/// <summary>The shortest text completing a recogniser's value, byte by byte from its own choices.</summary>
public static class JsonCompletion
{
    // A schema whose required properties recurse without end has no finite completion: give up rather than loop.
    private const int Limit = 1 << 16;

    /// <summary>The shortest bytes that complete the value from here (empty once complete).</summary>
    public static byte[] ShortestCompletion<TState>(this TState state) where TState : struct, IJsonPrefix
    {
        var bytes = new List<byte>();
        while (!state.IsComplete && bytes.Count < Limit)
        {
            var next = state.NextClosingByte();
            if (!state.Advance(next)) break;
            bytes.Add(next);
        }
        return [.. bytes];
    }

    /// <summary>The length of <see cref="ShortestCompletion"/>, counted without building it; more than <paramref name="limit"/> once past it.</summary>
    public static int CompletionLength<TState>(this TState state, int limit) where TState : struct, IJsonPrefix
    {
        var length = 0;
        while (!state.IsComplete && length <= limit && state.Advance(state.NextClosingByte())) length++;
        return length;
    }
}
