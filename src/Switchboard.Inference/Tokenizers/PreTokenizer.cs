using System.Text.RegularExpressions;

namespace Switchboard.Inference.Tokenizers;

/// <summary>
/// Splits text into words before byte-level BPE, with the regex list llama.cpp selects by
/// <c>tokenizer.ggml.pre</c>. Each regex splits every fragment the previous ones produced; text between
/// matches is kept as fragments of its own.
/// </summary>
public sealed class PreTokenizer
{
    private const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";
    private const string Cjk = "[一-龥ࠀ-一가-퟿]+";

    private readonly Regex[] _regexes;

    public PreTokenizer(string? preType)
    {
        PreType = preType ?? "default";
        string[] patterns = PreType switch
        {
            "gpt-2" or "mpt" or "olmo" or "jais" or "default" => [Gpt2],
            "starcoder" or "refact" or "command-r" or "smollm" or "codeshell" or "exaone" => [@"\p{N}", Gpt2],
            "falcon" => [@"[\p{P}\$\+<=>\^~\|`]+", Gpt2, "[0-9][0-9][0-9]"],
            "deepseek-coder" => ["[\r\n]", @"\s?\p{L}+", @"\s?\p{P}+", Cjk, @"\p{N}"],
            // Written as llama.cpp has it; code points that Unicode normalisation would fold (the Kelvin sign,
            // Greek oxia forms) are escaped so no editor can silently change them.
            "deepseek-llm" =>
            [
                "[\r\n]",
                @"\s?[A-Za-zµÀ-ÖØ-öø-ƺƼ-ƿǄ-ʓʕ-ʯͰ-ͳͶͷͻ-ͽͿΆΈ-ΊΌΎ-ΡΣ-ϵϷ-ҁҊ-ԯԱ-ՖႠ-ჅᎠ-Ᏽᏸ-ᏽᲐ-ᲺᲽ-Ჿᴀ-ᴫᵫ-ᵷᵹ-ᶚḀ-ἕἘ-Ἕἠ-ὅὈ-Ὅὐ-ὗὙὛὝὟ-\u1F7Dᾀ-ᾴᾶ-ᾼ\u1FBEῂ-ῄῆ-ῌῐ-\u1FD3ῖ-\u1FDBῠ-Ῥῲ-ῴῶ-ῼℂℇℊ-ℓℕℙ-ℝℤ\u2126ℨ\u212A-ℭℯ-ℴℹℼ-ℿⅅ-ⅉⅎↃↄⰀ-ⱻⱾ-ⳤⳫ-ⳮⳲⳳꙀ-ꙭꚀ-ꚛꜢ-ꝯꝱ-ꞇꞋ-ꞎꭰ-ꮿﬀ-ﬆﬓ-ﬗＡ-Ｚａ-ｚ]+",
                @"\s?[!-/:-~！-／：-～‘-‟　-。]+",
                @"\s+$",
                Cjk,
                @"\p{N}+",
            ],
            "llama3" or "llama-bpe" or "dbrx" or "smaug-bpe" =>
            [
                @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
            ],
            // Llama 3's split with single digits.
            "qwen2" or "deepseek-r1-qwen" =>
            [
                @"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+",
            ],
            _ => throw new NotSupportedException($"Pre-tokenizer '{PreType}' is not supported."),
        };
        _regexes = patterns.Select(p => new Regex(p, RegexOptions.CultureInvariant)).ToArray();
    }

    public string PreType { get; }

    public List<string> Split(string text)
    {
        var fragments = new List<string> { text };
        foreach (var regex in _regexes)
        {
            var next = new List<string>(fragments.Count * 2);
            foreach (var fragment in fragments)
            {
                var at = 0;
                foreach (Match match in regex.Matches(fragment))
                {
                    if (match.Length == 0) continue;
                    if (match.Index > at) next.Add(fragment[at..match.Index]);
                    next.Add(match.Value);
                    at = match.Index + match.Length;
                }
                if (at < fragment.Length) next.Add(fragment[at..]);
            }
            fragments = next;
        }
        return fragments;
    }
}
