using Switchboard.Inference.Sampling;

namespace Switchboard.Inference.Constraints;

/// <summary>
/// OpenAI's JSON mode as a sampler stage: each step keeps only the tokens that leave the output a valid prefix of a
/// JSON object, and once the object has closed only the end-of-generation tokens, so the answer always parses
/// even when <c>max_tokens</c> is near: once only as many tokens are left as closing the object takes (plus a
/// margin), only tokens that spell that closing are allowed. One per sequence: it follows the tokens the sequence
/// has produced.
/// </summary>
public sealed class JsonConstraint(TokenTrie trie, IReadOnlySet<int> endTokens, int promptLength, int maxTokens = int.MaxValue) : ISamplerStage
{
    private const int ClosingMargin = 2;
    private readonly bool[] _allowed = new bool[trie.VocabularySize];
    private JsonState _state;
    private readonly int _promptLength = promptLength;
    private int _consumed = promptLength;

    /// <summary>Whether the JSON value is complete.</summary>
    public bool IsComplete => _state.IsComplete;

    public void Apply(Candidates candidates, IReadOnlyList<int> history)
    {
        // Catch up with what was sampled since the last step (its bytes were allowed, so they advance).
        for (; _consumed < history.Count; _consumed++)
        {
            foreach (var b in trie.TokenBytes(history[_consumed])) _state.Advance(b);
        }
        var left = maxTokens - (history.Count - _promptLength);
        var closing = _state.IsComplete || left > JsonState.MaxDepth * 4 + 64 ? null : _state.ShortestCompletion();
        if (_state.IsComplete) Array.Clear(_allowed);
        else if (closing is not null && left <= closing.Length + ClosingMargin) trie.Prefixes(closing, _allowed);
        else trie.Allowed(_state, _allowed);
        foreach (var end in endTokens)
        {
            if ((uint)end < (uint)_allowed.Length) _allowed[end] = _state.IsComplete;
        }
        candidates.Keep(_allowed);
    }
}
