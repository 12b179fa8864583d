namespace Switchboard.Inference.Tokenizers;

/// <summary>
/// Cuts special tokens out of raw text before it is tokenised, as llama.cpp's partition step does: user-defined
/// tokens always (MPT's runs of spaces, for example), control tokens only when the caller parses specials.
/// Longer tokens are cut first, so a token never matches inside a longer one.
/// </summary>
public sealed class SpecialTokenSplitter
{
    private readonly (string Text, int Id, bool IsControl)[] _tokens;

    public SpecialTokenSplitter(Vocabulary vocabulary)
    {
        var tokens = new List<(string, int, bool)>();
        for (var id = 0; vocabulary.TokenTypes is { } types && id < types.Count; id++)
        {
            if (types[id] is Vocabulary.Control or Vocabulary.UserDefined && vocabulary.Tokens[id].Length > 0)
                tokens.Add((vocabulary.Tokens[id], id, types[id] == Vocabulary.Control));
        }
        _tokens = [.. tokens.OrderByDescending(t => t.Item1.Length).ThenBy(t => t.Item2)];
        HasUserDefined = _tokens.Any(t => !t.IsControl);
    }

    /// <summary>Whether <see cref="Split"/> can cut anything out of text when specials are not parsed.</summary>
    public bool HasUserDefined { get; }

    /// <summary>Whether there are any special tokens at all.</summary>
    public bool IsEmpty => _tokens.Length == 0;

    /// <summary>The text as fragments: raw text (<c>Token</c> null) or a special token.</summary>
    public List<(string Text, int? Token)> Split(string text, bool parseSpecial)
    {
        var fragments = new List<(string Text, int? Token)> { (text, null) };
        foreach (var (special, id, isControl) in _tokens)
        {
            if (isControl && !parseSpecial) continue;
            for (var i = 0; i < fragments.Count; i++)
            {
                var (raw, token) = fragments[i];
                if (token is not null) continue;
                var at = raw.IndexOf(special, StringComparison.Ordinal);
                if (at < 0) continue;
                var parts = new List<(string, int?)>();
                var start = 0;
                for (; at >= 0; at = raw.IndexOf(special, start, StringComparison.Ordinal))
                {
                    if (at > start) parts.Add((raw[start..at], null));
                    parts.Add((special, id));
                    start = at + special.Length;
                }
                if (start < raw.Length) parts.Add((raw[start..], null));
                fragments.RemoveAt(i);
                fragments.InsertRange(i, parts);
                i += parts.Count - 1;
            }
        }
        return fragments;
    }
}
