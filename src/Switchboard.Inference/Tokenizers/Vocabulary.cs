using Switchboard.Inference.Gguf;

namespace Switchboard.Inference.Tokenizers;

/// <summary>The token table a GGUF file carries (<c>tokenizer.ggml.*</c>): texts, scores, and the special ids.</summary>
public sealed class Vocabulary
{
    private readonly Dictionary<string, int> _ids;

    /// <summary>Token type codes of <c>tokenizer.ggml.token_type</c>, as llama.cpp numbers them.</summary>
    public const int Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6;

    // Texts llama.cpp treats as ending a generation wherever a vocabulary has them (chat models' turn ends).
    private static readonly HashSet<string> EndOfGenerationTexts = new(StringComparer.Ordinal)
    {
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>", "_<EOT>",
        "<|end_of_text|>", "<end_of_utterance>", "<|return|>", "<|call|>",
    };

    public Vocabulary(IReadOnlyList<string> tokens, IReadOnlyList<float>? scores, int? bos, int? eos, bool addBos, bool addEos, bool addSpacePrefix,
        IReadOnlyList<int>? tokenTypes = null, IEnumerable<int>? endOfGeneration = null)
    {
        Tokens = tokens;
        Scores = scores ?? new float[tokens.Count];
        if (Scores.Count != tokens.Count)
            throw new GgufException($"tokenizer.ggml.scores has {Scores.Count} entries for {tokens.Count} tokens.");
        // Keyed by the token's exact UTF-8 bytes (one char per byte), so input that is not valid UTF-8 can never
        // match a token by decoding to U+FFFD. Later duplicates win, as in llama.cpp's token_to_id map.
        _ids = new Dictionary<string, int>(tokens.Count, StringComparer.Ordinal);
        for (var i = 0; i < tokens.Count; i++) _ids[ByteKey(System.Text.Encoding.UTF8.GetBytes(tokens[i]))] = i;
        Bos = bos;
        Eos = eos;
        AddBos = addBos;
        AddEos = addEos;
        AddSpacePrefix = addSpacePrefix;
        if (tokenTypes is not null && tokenTypes.Count != tokens.Count)
            throw new GgufException($"tokenizer.ggml.token_type has {tokenTypes.Count} entries for {tokens.Count} tokens.");
        TokenTypes = tokenTypes;
        var ends = new HashSet<int>(endOfGeneration ?? []);
        if (eos is { } end) ends.Add(end);
        for (var i = 0; i < tokens.Count; i++)
        {
            if (EndOfGenerationTexts.Contains(tokens[i])) ends.Add(i);
        }
        EndOfGeneration = ends;
        MaxTokenBytes = Math.Max(1, tokens.Count == 0 ? 1 : tokens.Max(t => System.Text.Encoding.UTF8.GetByteCount(t)));
    }

    /// <summary>The UTF-8 length of the longest token: no text longer than n of these can be n tokens.</summary>
    public int MaxTokenBytes { get; }

    public IReadOnlyList<string> Tokens { get; }
    public IReadOnlyList<float> Scores { get; }
    public int? Bos { get; }
    public int? Eos { get; }
    public bool AddBos { get; }
    public bool AddEos { get; }
    public bool AddSpacePrefix { get; }
    public int Count => Tokens.Count;

    /// <summary><c>tokenizer.ggml.token_type</c>, or null when the file has none (then every token is normal).</summary>
    public IReadOnlyList<int>? TokenTypes { get; }

    /// <summary>The tokens that end a generation: EOS, the declared end-of-turn tokens, and the turn-end texts chat models use.</summary>
    public IReadOnlySet<int> EndOfGeneration { get; }

    /// <summary>
    /// What a token prints whatever the tokenizer: nothing for control and unused tokens (and ids outside the
    /// vocabulary), its text for user-defined ones; null for the normal tokens each tokenizer decodes its own way.
    /// </summary>
    public byte[]? FixedBytes(int token)
    {
        if ((uint)token >= (uint)Count) return [];
        return TypeOf(token) switch
        {
            Control or Unused => [],
            UserDefined => System.Text.Encoding.UTF8.GetBytes(Tokens[token]),
            _ => null,
        };
    }

    /// <summary>The token's type; BOS and EOS count as control tokens even when the file gives no types.</summary>
    public int TypeOf(int token) =>
        TokenTypes is { } types ? types[token] : token == Bos || token == Eos ? Control : Normal;

    public bool TryGetId(string text, out int id) => TryGetId(System.Text.Encoding.UTF8.GetBytes(text), out id);

    public bool TryGetId(ReadOnlySpan<byte> utf8, out int id) =>
        _ids.GetAlternateLookup<ReadOnlySpan<char>>().TryGetValue(ByteChars(utf8, stackalloc char[Math.Min(utf8.Length, 256)]), out id);

    private static string ByteKey(ReadOnlySpan<byte> utf8) => new(ByteChars(utf8, new char[utf8.Length]));

    private static ReadOnlySpan<char> ByteChars(ReadOnlySpan<byte> utf8, Span<char> scratch)
    {
        if (scratch.Length < utf8.Length) scratch = new char[utf8.Length];
        for (var i = 0; i < utf8.Length; i++) scratch[i] = (char)utf8[i];
        return scratch[..utf8.Length];
    }

    /// <summary>Reads the vocabulary of a GGUF file, applying llama.cpp's defaults where keys are absent.</summary>
    public static Vocabulary FromGguf(GgufFile file)
    {
        var tokens = file.GetArray<string>("tokenizer.ggml.tokens")
            ?? throw new GgufException($"'{file.Path}' has no tokenizer.ggml.tokens.");
        var model = file.GetString("tokenizer.ggml.model") ?? "llama";
        var isSpm = model == "llama";
        int? Id(string key)
        {
            var value = file.GetInteger(key);
            return value is >= 0 && value < tokens.Length ? (int)value : null;
        }
        return new Vocabulary(tokens, file.GetArray<float>("tokenizer.ggml.scores"),
            Id("tokenizer.ggml.bos_token_id") ?? (isSpm ? 1 : null),
            Id("tokenizer.ggml.eos_token_id") ?? (isSpm ? 2 : null),
            file.GetBool("tokenizer.ggml.add_bos_token") ?? isSpm,
            file.GetBool("tokenizer.ggml.add_eos_token") ?? false,
            file.GetBool("tokenizer.ggml.add_space_prefix") ?? isSpm,
            file.GetArray<int>("tokenizer.ggml.token_type"),
            new[] { Id("tokenizer.ggml.eot_token_id"), Id("tokenizer.ggml.eom_token_id") }.OfType<int>());
    }
}
