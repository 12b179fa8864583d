using System.Text;

namespace Switchboard.Inference.Tokenizers;

/// <summary>
/// SentencePiece BPE as llama.cpp runs it for <c>tokenizer.ggml.model = llama</c>: an optional leading space,
/// spaces as <c>▁</c>, one symbol per UTF-8 character, then repeatedly merge the adjacent pair whose merged
/// text is the highest-scoring token (ties go to the leftmost pair); pieces left without a token fall back to
/// their bytes as <c>&lt;0xXX&gt;</c> tokens.
/// </summary>
public sealed class SentencePieceTokenizer(Vocabulary vocabulary) : ITokenizer
{
    private static ReadOnlySpan<byte> SpaceMarker => "\u2581"u8;
    private readonly SpecialTokenSplitter _specials = new(vocabulary);

    public Vocabulary Vocabulary { get; } = vocabulary;

    public List<int> Encode(ReadOnlySpan<byte> utf8, bool addSpecial, bool parseSpecial = false)
    {
        var output = new List<int>();
        if (addSpecial && Vocabulary.AddBos && Vocabulary.Bos is { } bos) output.Add(bos);
        if (_specials.IsEmpty || !parseSpecial && !_specials.HasUserDefined)
        {
            EncodeText(utf8, output, spacePrefix: Vocabulary.AddSpacePrefix);
        }
        else
        {
            // As llama.cpp: text after a special token (or at the start) gets the space prefix again.
            var afterSpecial = true;
            foreach (var (text, token) in _specials.Split(Encoding.UTF8.GetString(utf8), parseSpecial))
            {
                if (token is { } special) output.Add(special);
                else EncodeText(Encoding.UTF8.GetBytes(text), output, spacePrefix: Vocabulary.AddSpacePrefix && afterSpecial);
                afterSpecial = token is not null;
            }
        }
        if (addSpecial && Vocabulary.AddEos && Vocabulary.Eos is { } eos) output.Add(eos);
        return output;
    }

    private void EncodeText(ReadOnlySpan<byte> utf8, List<int> output, bool spacePrefix)
    {
        if (utf8.Length == 0) return;
        var prepared = new List<byte>(utf8.Length + 8);
        if (spacePrefix) prepared.AddRange(SpaceMarker);
        foreach (var b in utf8)
        {
            if (b == (byte)' ') prepared.AddRange(SpaceMarker);
            else prepared.Add(b);
        }
        EncodePiece(prepared.ToArray(), output);
    }

    /// <summary>
    /// <c>▁</c> as a space, <c>&lt;0xXX&gt;</c> as that byte, user-defined tokens as their text; control tokens
    /// (BOS, EOS, turn markers) as nothing.
    /// </summary>
    public byte[] TokenBytes(int token)
    {
        if (Vocabulary.FixedBytes(token) is { } fixedBytes) return fixedBytes;
        var text = Vocabulary.Tokens[token];
        if (text.Length == 6 && text.StartsWith("<0x", StringComparison.Ordinal) && text[5] == '>' &&
            byte.TryParse(text.AsSpan(3, 2), System.Globalization.NumberStyles.HexNumber, null, out var value))
            return [value];
        return Encoding.UTF8.GetBytes(text.Replace("\u2581", " ", StringComparison.Ordinal));
    }

    private struct Symbol
    {
        public int Start, Length, Prev, Next;
    }

    private readonly record struct Bigram(int Left, int Right, int Size);

    private void EncodePiece(byte[] utf8, List<int> output)
    {
        var symbols = new List<Symbol>();
        for (var offset = 0; offset < utf8.Length;)
        {
            var length = Math.Min(Utf8SequenceLength(utf8[offset]), utf8.Length - offset);
            symbols.Add(new Symbol { Start = offset, Length = length, Prev = symbols.Count - 1, Next = offset + length == utf8.Length ? -1 : symbols.Count + 1 });
            offset += length;
        }

        // Highest score first; on equal scores the leftmost pair.
        var queue = new PriorityQueue<Bigram, (float NegScore, int Left)>();
        void TryAdd(int left, int right)
        {
            if (left < 0 || right < 0) return;
            var s = symbols[left];
            var size = s.Length + symbols[right].Length;
            if (!Vocabulary.TryGetId(utf8.AsSpan(s.Start, size), out var id)) return;
            queue.Enqueue(new Bigram(left, right, size), (-Vocabulary.Scores[id], left));
        }
        for (var i = 1; i < symbols.Count; i++) TryAdd(i - 1, i);

        while (queue.TryDequeue(out var bigram, out _))
        {
            var left = symbols[bigram.Left];
            var right = symbols[bigram.Right];
            // A pair whose sides have changed since it was queued is stale.
            if (left.Length == 0 || right.Length == 0 || left.Length + right.Length != bigram.Size) continue;
            left.Length += right.Length;
            left.Next = right.Next;
            right.Length = 0;
            symbols[bigram.Left] = left;
            symbols[bigram.Right] = right;
            if (left.Next >= 0)
            {
                var next = symbols[left.Next];
                next.Prev = bigram.Left;
                symbols[left.Next] = next;
            }
            TryAdd(left.Prev, bigram.Left);
            TryAdd(bigram.Left, left.Next);
        }

        for (var i = symbols.Count == 0 ? -1 : 0; i != -1; i = symbols[i].Next)
        {
            var s = symbols[i];
            if (Vocabulary.TryGetId(utf8.AsSpan(s.Start, s.Length), out var id))
            {
                output.Add(id);
                continue;
            }
            for (var b = 0; b < s.Length; b++)
            {
                var hex = $"<0x{utf8[s.Start + b]:X2}>";
                output.Add(Vocabulary.TryGetId(hex, out var byteId) ? byteId
                    : throw new UnrepresentableTextException($"the model's vocabulary has no token for a piece of the text, nor the byte token {hex} to fall back to"));
            }
        }
    }

    private static int Utf8SequenceLength(byte lead) => lead switch
    {
        < 0x80 => 1,
        >= 0xF0 => 4,
        >= 0xE0 => 3,
        >= 0xC0 => 2,
        _ => 1,
    };
}
