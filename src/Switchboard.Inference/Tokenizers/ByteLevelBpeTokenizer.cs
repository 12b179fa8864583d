using System.Text;

namespace Switchboard.Inference.Tokenizers;

/// <summary>
/// Byte-level BPE as llama.cpp runs it for <c>tokenizer.ggml.model = gpt2</c>: pre-tokenise (see
/// <see cref="PreTokenizer"/>), map each word's UTF-8 bytes to GPT-2's printable alphabet, then merge adjacent
/// symbols by merge rank (lowest first, ties to the left) until no listed merge applies.
/// </summary>
public sealed class ByteLevelBpeTokenizer : ITokenizer
{
    private static readonly string[] ByteChars = BuildByteChars();
    private static readonly Dictionary<char, byte> CharBytes = Enumerable.Range(0, 256).ToDictionary(b => ByteChars[b][0], b => (byte)b);
    private readonly Dictionary<string, int> _ranks;
    private readonly PreTokenizer _pre;
    private readonly SpecialTokenSplitter _specials;
    private readonly bool _ignoreMerges;

    /// <param name="vocabulary">The tokens.</param>
    /// <param name="merges"><c>tokenizer.ggml.merges</c>: "left right" pairs, highest priority first.</param>
    /// <param name="preType"><c>tokenizer.ggml.pre</c>.</param>
    public ByteLevelBpeTokenizer(Vocabulary vocabulary, IReadOnlyList<string> merges, string? preType)
    {
        Vocabulary = vocabulary;
        _specials = new SpecialTokenSplitter(vocabulary);
        _pre = new PreTokenizer(preType);
        // Llama 3's tokenizer takes a word that is a token whole, even where its merges would not reach it (as llama.cpp's ignore_merges).
        _ignoreMerges = preType is "llama3" or "llama-v3" or "llama-bpe" or "falcon3" or "pixtral";
        _ranks = new Dictionary<string, int>(merges.Count, StringComparer.Ordinal);
        for (var i = 0; i < merges.Count; i++) _ranks.TryAdd(merges[i], i);
    }

    public Vocabulary Vocabulary { get; }

    public List<int> Encode(ReadOnlySpan<byte> utf8, bool addSpecial, bool parseSpecial = false)
    {
        var output = new List<int>();
        if (addSpecial && Vocabulary.AddBos && Vocabulary.Bos is { } bos) output.Add(bos);
        foreach (var (text, token) in _specials.Split(Encoding.UTF8.GetString(utf8), parseSpecial))
        {
            if (token is { } special) output.Add(special);
            else foreach (var word in _pre.Split(text)) EncodeWord(word, output);
        }
        if (addSpecial && Vocabulary.AddEos && Vocabulary.Eos is { } eos) output.Add(eos);
        return output;
    }

    /// <summary>Normal tokens map back through GPT-2's byte alphabet; user-defined ones are their text; control tokens are nothing.</summary>
    public byte[] TokenBytes(int token)
    {
        if (Vocabulary.FixedBytes(token) is { } fixedBytes) return fixedBytes;
        var text = Vocabulary.Tokens[token];
        var bytes = new byte[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            // Every character of a normal token is in the alphabet; anything else cannot be a byte of the text.
            if (!CharBytes.TryGetValue(text[i], out bytes[i])) return Encoding.UTF8.GetBytes(text);
        }
        return bytes;
    }

    private void EncodeWord(string word, List<int> output)
    {
        var symbols = new List<string>();
        foreach (var b in Encoding.UTF8.GetBytes(word)) symbols.Add(ByteChars[b]);
        if (_ignoreMerges && Vocabulary.TryGetId(string.Concat(symbols), out var whole))
        {
            output.Add(whole);
            return;
        }
        while (symbols.Count > 1)
        {
            int best = -1, bestRank = int.MaxValue;
            for (var i = 0; i + 1 < symbols.Count; i++)
            {
                if (_ranks.TryGetValue(symbols[i] + " " + symbols[i + 1], out var rank) && rank < bestRank)
                {
                    bestRank = rank;
                    best = i;
                }
            }
            if (best < 0) break;
            symbols[best] += symbols[best + 1];
            symbols.RemoveAt(best + 1);
        }
        foreach (var symbol in symbols)
        {
            if (Vocabulary.TryGetId(symbol, out var id))
            {
                output.Add(id);
                continue;
            }
            // No token for the merged piece: its byte characters one by one, as llama.cpp falls back.
            foreach (var c in symbol.EnumerateRunes())
            {
                if (Vocabulary.TryGetId(c.ToString(), out var byteId)) output.Add(byteId);
            }
        }
    }

    /// <summary>GPT-2's bytes_to_unicode: printable bytes stand for themselves, the rest move to U+0100 onwards.</summary>
    private static string[] BuildByteChars()
    {
        var map = new string[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= 33 and <= 126 or >= 161 and <= 172 or >= 174 and <= 255;
            map[b] = char.ConvertFromUtf32(printable ? b : next++);
        }
        return map;
    }
}
