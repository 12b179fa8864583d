namespace Switchboard.Inference.Tokenizers;

/// <summary>Text to tokens and back, as the model file's <c>tokenizer.ggml.model</c> says; built by <see cref="Tokenizer.FromGguf"/>.</summary>
public interface ITokenizer
{
    Vocabulary Vocabulary { get; }

    /// <param name="utf8">The text (not necessarily valid UTF-8, as llama.cpp allows).</param>
    /// <param name="addSpecial">Add BOS/EOS as the vocabulary says.</param>
    /// <param name="parseSpecial">Turn control-token text (such as <c>&lt;|im_start|&gt;</c> in a rendered chat prompt) into those tokens.</param>
    List<int> Encode(ReadOnlySpan<byte> utf8, bool addSpecial, bool parseSpecial = false);

    /// <summary>
    /// The bytes a token adds to the output text; control tokens (BOS, EOS, turn markers) add none. Pieces may
    /// hold part of a UTF-8 character; <see cref="Utf8Assembler"/> joins them.
    /// </summary>
    byte[] TokenBytes(int token);
}
