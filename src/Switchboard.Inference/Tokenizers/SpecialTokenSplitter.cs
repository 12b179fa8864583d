namespace Switchboard.Inference.Tokenizers;

/// <summary>
/// Cuts special tokens out of raw text before it is tokenised, as llama.cpp's partition step does: user-defined
/// tokens always (MPT's runs of spaces, for example), control tokens only when the caller parses specials.
/// Longer tokens are cut first, so a token never matches inside a longer one.
/// </summary>
public sealed class SpecialTokenSplitter
{
    private const int Control = 3, UserDefined = 4;
    private readonly (string Text, int Id, bool IsControl)[] _tokens;

    public SpecialTokenSplitter(Vocabulary vocabulary, IReadOnlyList<int>? tokenTypes)
    {
        var tokens = new List<(string, int, bool)>();
        for (var id = 0; tokenTypes is not null && id < tokenTypes.Count && id < vocabulary.Count; id++)
        {
            if (tokenTypes[id] is Control or UserDefined && vocabulary.Tokens[id].Length > 0)
                tokens.Add((vocabulary.Tokens[id], id, tokenTypes[id] == Control));
        }
        _tokens = [.. tokens.OrderByDescending(t => t.Item1.Length).ThenBy(t => t.Item2)];
    }

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
