using System.Globalization;
using System.Text;

namespace Switchboard.Inference.Tokenizers;

/// <summary>
/// WordPiece as llama.cpp runs it for <c>tokenizer.ggml.model = bert</c>: accents dropped, lower case, controls dropped,
/// words split on white space, and every punctuation mark, ASCII symbol and CJK ideograph a word of its own;
/// each word (with a leading <c>▁</c>) is covered by greedy longest matches, or becomes the unknown token whole.
/// </summary>
public sealed class WordPieceTokenizer
{
    private readonly int _maxTokenBytes;
    private readonly int _unknown;

    /// <exception cref="NotSupportedException">The process runs in invariant globalization mode, where .NET cannot decompose characters.</exception>
    public WordPieceTokenizer(Vocabulary vocabulary, int unknownToken)
    {
        if ("\u00C4".Normalize(NormalizationForm.FormD).Length != 2)
            throw new NotSupportedException("WordPiece needs Unicode decomposition, which .NET lacks in invariant globalization mode; run with InvariantGlobalization=false and ICU installed.");
        Vocabulary = vocabulary;
        _unknown = unknownToken;
        _maxTokenBytes = vocabulary.Tokens.Max(t => Encoding.UTF8.GetByteCount(t));
    }

    public Vocabulary Vocabulary { get; }

    public List<int> Encode(ReadOnlySpan<byte> utf8)
    {
        var output = new List<int>();
        foreach (var word in Words(Encoding.UTF8.GetString(utf8)))
        {
            var bytes = Encoding.UTF8.GetBytes("\u2581" + word);
            var start = output.Count;
            for (var i = 0; i < bytes.Length; i++)
            {
                var matched = false;
                for (var j = Math.Min(bytes.Length, i + _maxTokenBytes + 1); j > i; j--)
                {
                    if (Vocabulary.TryGetId(bytes.AsSpan(i, j - i), out var id))
                    {
                        output.Add(id);
                        matched = true;
                        i = j - 1;
                        break;
                    }
                }
                if (!matched)
                {
                    output.RemoveRange(start, output.Count - start);
                    break;
                }
            }
            if (output.Count == start) output.Add(_unknown);
        }
        return output;
    }

    private static List<string> Words(string text)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        void Finish()
        {
            if (current.Length == 0) return;
            words.Add(current.ToString());
            current.Clear();
        }
        foreach (var original in text.EnumerateRunes())
        {
            var rune = BaseCharacter(original);
            if (Rune.IsWhiteSpace(rune))
            {
                Finish();
                continue;
            }
            var category = Rune.GetUnicodeCategory(rune);
            if (rune.Value == 0 || rune.Value == 0xFFFD || category == UnicodeCategory.Control) continue;
            var lower = Rune.ToLowerInvariant(rune).ToString();
            if (IsPunctuation(category) || (rune.Value < 0x7F && IsSymbol(category)) || IsChinese(rune.Value))
            {
                Finish();
                words.Add(lower);
            }
            else
            {
                current.Append(lower);
            }
        }
        Finish();
        return words;
    }

    /// <summary>
    /// llama.cpp's NFD table maps a precomposed character to its base character alone (Ä → A, ử → u), which
    /// drops the accents; a full canonical decomposition would keep them as combining marks.
    /// </summary>
    private static Rune BaseCharacter(Rune rune)
    {
        if (rune.Value < 0xC0 || rune.Value is >= 0xAC00 and <= 0xD7A3) return rune;
        var decomposed = rune.ToString().Normalize(NormalizationForm.FormD);
        return Rune.GetRuneAt(decomposed, 0);
    }

    private static bool IsPunctuation(UnicodeCategory c) => c is UnicodeCategory.ConnectorPunctuation or UnicodeCategory.DashPunctuation
        or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation or UnicodeCategory.InitialQuotePunctuation
        or UnicodeCategory.FinalQuotePunctuation or UnicodeCategory.OtherPunctuation;

    private static bool IsSymbol(UnicodeCategory c) =>
        c is UnicodeCategory.MathSymbol or UnicodeCategory.CurrencySymbol or UnicodeCategory.ModifierSymbol or UnicodeCategory.OtherSymbol;

    /// <summary>BERT's CJK ideograph blocks.</summary>
    private static bool IsChinese(int c) =>
        c is >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0x20000 and <= 0x2A6DF or >= 0x2A700 and <= 0x2B73F
            or >= 0x2B740 and <= 0x2B81F or >= 0x2B920 and <= 0x2CEAF or >= 0xF900 and <= 0xFAFF or >= 0x2F800 and <= 0x2FA1F;
}
