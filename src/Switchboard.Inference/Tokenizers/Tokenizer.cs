using System.Text;
using Switchboard.Inference.Gguf;

namespace Switchboard.Inference.Tokenizers;

/// <summary>Chooses a model file's tokenizer, and the text forms of <see cref="ITokenizer"/>'s operations.</summary>
public static class Tokenizer
{
    /// <summary>The tokenizer <c>tokenizer.ggml.model</c> names (<c>llama</c>: SentencePiece; <c>gpt2</c>: byte-level BPE with <c>tokenizer.ggml.pre</c>).</summary>
    /// <exception cref="GgufException">The file names a tokenizer this engine does not run, or lacks what it needs.</exception>
    public static ITokenizer FromGguf(GgufFile file)
    {
        var vocabulary = Vocabulary.FromGguf(file);
        switch (file.GetString("tokenizer.ggml.model") ?? "llama")
        {
            case "llama":
                return new SentencePieceTokenizer(vocabulary);
            case "gpt2":
                var merges = file.GetArray<string>("tokenizer.ggml.merges")
                    ?? throw new GgufException($"'{file.Path}' has a BPE tokenizer without tokenizer.ggml.merges.");
                try
                {
                    return new ByteLevelBpeTokenizer(vocabulary, merges, file.GetString("tokenizer.ggml.pre"));
                }
                catch (NotSupportedException e)
                {
                    throw new GgufException($"'{file.Path}': {e.Message}");
                }
            case var other:
                throw new GgufException($"'{file.Path}' uses tokenizer '{other}'; this engine runs 'llama' (SentencePiece) and 'gpt2' (byte-level BPE) tokenizers.");
        }
    }

    public static List<int> Encode(this ITokenizer tokenizer, string text, bool addSpecial, bool parseSpecial = false) =>
        tokenizer.Encode(Encoding.UTF8.GetBytes(text), addSpecial, parseSpecial);

    /// <summary>Decodes a whole token sequence to text.</summary>
    public static string Decode(this ITokenizer tokenizer, IEnumerable<int> tokens)
    {
        var assembler = new Utf8Assembler();
        var text = new StringBuilder();
        foreach (var token in tokens) text.Append(assembler.Append(tokenizer.TokenBytes(token)));
        return text.Append(assembler.Flush()).ToString();
    }
}
