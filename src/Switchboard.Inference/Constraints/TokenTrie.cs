namespace Switchboard.Inference.Constraints;

/// <summary>
/// A vocabulary's token bytes as a prefix tree, built once per vocabulary: masking walks it from the current JSON
/// state, so a prefix that breaks the grammar rules out every token below it at once. Tokens that keep a string
/// open whatever comes before them (printable, no quote or backslash, whole UTF-8 characters) are kept apart:
/// inside a string they are all allowed without a walk, and only the others are walked.
/// </summary>
public sealed class TokenTrie
{
    private readonly Trie _all;
    private readonly Trie _notPlain;

    private readonly IReadOnlyList<byte[]> _tokenBytes;

    public TokenTrie(IReadOnlyList<byte[]> tokenBytes)
    {
        _tokenBytes = tokenBytes;
        VocabularySize = tokenBytes.Count;
        PlainString = new bool[tokenBytes.Count];
        PlainChars = new int[tokenBytes.Count];
        var all = new TrieBuilder();
        var notPlain = new TrieBuilder();
        for (var token = 0; token < tokenBytes.Count; token++)
        {
            var bytes = tokenBytes[token];
            if (bytes.Length == 0) continue;
            all.Add(bytes, token);
            if (IsPlainString(bytes))
            {
                PlainString[token] = true;
                // Characters, as JSON Schema's lengths count them: every byte but UTF-8 continuations starts one.
                PlainChars[token] = bytes.Count(b => (b & 0xC0) != 0x80);
            }
            else
            {
                notPlain.Add(bytes, token);
            }
        }
        _all = all.Build();
        _notPlain = notPlain.Build();
    }

    public int VocabularySize { get; }

    public byte[] TokenBytes(int token) => (uint)token < (uint)_tokenBytes.Count ? _tokenBytes[token] : [];

    /// <summary>Tokens that leave a plain string state plain (see <see cref="JsonState.InPlainString"/>).</summary>
    public bool[] PlainString { get; }

    /// <summary>The characters each plain string token adds.</summary>
    private int[] PlainChars { get; }

    /// <summary>Marks in <paramref name="allowed"/> every token whose bytes keep <paramref name="state"/> a valid prefix.</summary>
    public void Allowed<TState>(TState state, bool[] allowed) where TState : struct, IJsonPrefix
    {
        var trie = _all;
        var room = state.PlainTextRoom;
        if (room == int.MaxValue)
        {
            Array.Copy(PlainString, allowed, PlainString.Length);
            trie = _notPlain;
        }
        else if (room >= 0)
        {
            for (var token = 0; token < allowed.Length; token++) allowed[token] = PlainString[token] && PlainChars[token] <= room;
            trie = _notPlain;
        }
        else
        {
            Array.Clear(allowed);
        }
        var stack = new Stack<(int Node, TState State)>();
        stack.Push((0, state));
        while (stack.Count > 0)
        {
            var (node, current) = stack.Pop();
            for (var edge = trie.FirstChild[node]; edge >= 0; edge = trie.NextSibling[edge])
            {
                var next = current;
                if (!next.Advance(trie.Byte[edge])) continue;
                for (var t = trie.FirstToken[edge]; t >= 0; t = trie.NextToken[t]) allowed[trie.Token[t]] = true;
                if (trie.FirstChild[edge] >= 0) stack.Push((edge, next));
            }
        }
    }

    /// <summary>Marks the tokens whose bytes are a non-empty prefix of <paramref name="text"/>.</summary>
    public void Prefixes(ReadOnlySpan<byte> text, bool[] allowed)
    {
        Array.Clear(allowed);
        var trie = _all;
        var node = 0;
        foreach (var b in text)
        {
            var child = -1;
            for (var edge = trie.FirstChild[node]; edge >= 0; edge = trie.NextSibling[edge])
            {
                if (trie.Byte[edge] == b)
                {
                    child = edge;
                    break;
                }
            }
            if (child < 0) return;
            for (var t = trie.FirstToken[child]; t >= 0; t = trie.NextToken[t]) allowed[trie.Token[t]] = true;
            node = child;
        }
    }

    private static bool IsPlainString(byte[] bytes)
    {
        var probe = default(JsonState);
        // From inside a string: the same check the state machine makes, ending with nothing pending.
        foreach (var b in "{\""u8) probe.Advance(b);
        foreach (var b in bytes)
        {
            if (b is (byte)'"' or (byte)'\\' || !probe.Advance(b)) return false;
        }
        return probe.InPlainString;
    }

    // Nodes are edges: node 0 is the root; every other node is reached by one byte from its parent.
    private sealed record Trie(int[] FirstChild, int[] NextSibling, byte[] Byte, int[] FirstToken, int[] NextToken, int[] Token);

    private sealed class TrieBuilder
    {
        private readonly List<Dictionary<byte, int>> _children = [new()];
        private readonly List<byte> _bytes = [0];
        private readonly List<List<int>> _tokens = [[]];

        public void Add(byte[] bytes, int token)
        {
            var node = 0;
            foreach (var b in bytes)
            {
                if (!_children[node].TryGetValue(b, out var child))
                {
                    child = _children.Count;
                    _children.Add([]);
                    _bytes.Add(b);
                    _tokens.Add([]);
                    _children[node][b] = child;
                }
                node = child;
            }
            _tokens[node].Add(token);
        }

        public Trie Build()
        {
            var count = _children.Count;
            var firstChild = new int[count];
            var nextSibling = new int[count];
            var firstToken = new int[count];
            Array.Fill(firstChild, -1);
            Array.Fill(nextSibling, -1);
            Array.Fill(firstToken, -1);
            var tokenIds = new List<int>();
            var nextToken = new List<int>();
            for (var node = 0; node < count; node++)
            {
                var previous = -1;
                foreach (var child in _children[node].OrderBy(c => c.Key).Select(c => c.Value))
                {
                    if (previous < 0) firstChild[node] = child;
                    else nextSibling[previous] = child;
                    previous = child;
                }
                foreach (var token in _tokens[node])
                {
                    tokenIds.Add(token);
                    nextToken.Add(firstToken[node]);
                    firstToken[node] = tokenIds.Count - 1;
                }
            }
            return new Trie(firstChild, nextSibling, [.. _bytes], firstToken, [.. nextToken], [.. tokenIds]);
        }
    }
}
