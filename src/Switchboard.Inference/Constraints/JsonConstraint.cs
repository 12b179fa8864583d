using Switchboard.Inference.Sampling;

namespace Switchboard.Inference.Constraints;

/// <summary>
/// Constrained JSON as a sampler stage: each step keeps only the tokens that leave the output a valid prefix (of a
/// JSON object in JSON mode, of a value of the schema with one), and once the value is whole only the
/// end-of-generation tokens, so the answer always parses even when <c>max_tokens</c> is near: once only as many
/// tokens are left as completing the value takes (plus a margin), only tokens that spell that completion are
/// allowed. One per sequence: it follows the tokens the sequence has produced.
/// </summary>
public sealed class JsonConstraint<TState> : ISamplerStage where TState : struct, IJsonPrefix
{
    // Tokens of plain string text are not checked one by one near the budget: in a key they may change the completion
    // by a few bytes (an additional property's ":0" instead of a name's rest), which this margin absorbs.
    private const int ClosingMargin = 8;
    private readonly TokenTrie _trie;
    private readonly IReadOnlySet<int> _endTokens;
    private readonly bool[] _allowed;
    private readonly int _promptLength;
    private readonly int _maxTokens;
    private readonly int _horizon;
    private readonly int _reach;
    private readonly int _perByte;
    // Mutated through its methods: readonly would make every call work on a defensive copy.
#pragma warning disable IDE0044
    private TState _state;
#pragma warning restore IDE0044
    private int _consumed;

    /// <param name="trie">The model's token bytes.</param>
    /// <param name="initial">The recogniser before the answer's first byte.</param>
    /// <param name="endTokens">The tokens that end generation: allowed only once the value is whole.</param>
    /// <param name="promptLength">Tokens of history before the answer.</param>
    /// <param name="maxTokens">The answer's budget.</param>
    /// <param name="horizon">A bound on the completion's length in bytes: nearer the budget than this, the completion is watched.</param>
    /// <param name="reach">A bound on what one token can add to the completion: within it of the budget, tokens are checked one by one.</param>
    /// <param name="perByte">A bound on what one byte can add to the completion (JSON mode: <c>{"</c> adds <c>":0}</c>), so short tokens far enough from the budget skip the check.</param>
    public JsonConstraint(TokenTrie trie, TState initial, IReadOnlySet<int> endTokens, int promptLength, int maxTokens = int.MaxValue,
        int horizon = JsonState.MaxDepth * 4 + 64, int reach = 64, int perByte = 4)
    {
        _reach = reach;
        _perByte = perByte;
        _trie = trie;
        _state = initial;
        _endTokens = endTokens;
        _allowed = new bool[trie.VocabularySize];
        _promptLength = promptLength;
        _consumed = promptLength;
        _maxTokens = maxTokens;
        _horizon = horizon;
    }

    /// <summary>Whether the JSON value is complete.</summary>
    public bool IsComplete => _state.IsComplete;

    public void Apply(Candidates candidates, IReadOnlyList<int> history)
    {
        // Catch up with what was sampled since the last step (its bytes were allowed, so they advance).
        for (; _consumed < history.Count; _consumed++)
        {
            foreach (var b in _trie.TokenBytes(history[_consumed])) _state.Advance(b);
        }
        var left = _maxTokens - (history.Count - _promptLength);
        var closing = _state.IsComplete || left > _horizon ? null : _state.ShortestCompletion();
        if (_state.IsComplete) Array.Clear(_allowed);
        else if (closing is not null && left <= closing.Length + ClosingMargin) _trie.Prefixes(closing, _allowed);
        else
        {
            _trie.Allowed(_state, _allowed);
            if (closing is not null && left <= closing.Length + _reach) KeepCompletable(left - 1, closing.Length);
        }
        foreach (var end in _endTokens)
        {
            if ((uint)end < (uint)_allowed.Length) _allowed[end] = _state.IsComplete;
        }
        candidates.Keep(_allowed);
    }

    /// <summary>
    /// Drops the tokens after which the value could not be completed in <paramref name="left"/> tokens: one that opens
    /// an object with required properties can lengthen the completion by much more than the token's own bytes.
    /// </summary>
    private void KeepCompletable(int left, int completion)
    {
        var skipPlain = _state.PlainTextKeepsCompletion;
        for (var token = 0; token < _allowed.Length; token++)
        {
            if (!_allowed[token] || skipPlain && _trie.PlainString[token]) continue;
            var bytes = _trie.TokenBytes(token);
            if (completion + (long)bytes.Length * _perByte <= left) continue;
            var next = _state;
            foreach (var b in bytes) next.Advance(b);
            if (next.CompletionLength(left) > left) _allowed[token] = false;
        }
    }
}
