using Switchboard.Inference.Gguf;
using Switchboard.Inference.Templates;
using Switchboard.Inference.Tokenizers;

namespace Switchboard.Inference.Chat;

/// <summary>
/// Turns a conversation into the tokens a chat model was trained on: its own template (<c>tokenizer.chat_template</c>,
/// ChatML when it has none) rendered, then tokenised with control tokens parsed, BOS added once as the vocabulary says.
/// </summary>
public sealed class ChatPrompt
{
    private readonly ITokenizer _tokenizer;
    private readonly string _bos;
    private readonly string _eos;

    private ChatPrompt(ChatTemplate template, bool hasOwnTemplate, ITokenizer tokenizer, ToolCallSyntax? tools = null)
    {
        Template = template;
        Tools = tools;
        HasOwnTemplate = hasOwnTemplate;
        _tokenizer = tokenizer;
        var vocabulary = tokenizer.Vocabulary;
        _bos = vocabulary.Bos is { } bos ? vocabulary.Tokens[bos] : "";
        _eos = vocabulary.Eos is { } eos ? vocabulary.Tokens[eos] : "";
    }

    public ChatTemplate Template { get; }

    /// <summary>How the template's model writes tool calls; null when the template offers no tools (or a syntax not read here).</summary>
    public ToolCallSyntax? Tools { get; }

    /// <summary>False when the file carries no template and ChatML is used.</summary>
    public bool HasOwnTemplate { get; }

    /// <exception cref="GgufException">The file's template uses something the renderer does not support (line and column named).</exception>
    public static ChatPrompt FromGguf(GgufFile file, ITokenizer tokenizer)
    {
        if (file.GetString("tokenizer.chat_template") is not { Length: > 0 } source) return new ChatPrompt(ChatTemplate.ChatMl, false, tokenizer);
        try
        {
            return new ChatPrompt(ChatTemplate.Parse(source), true, tokenizer, ToolCallSyntax.FromTemplate(source));
        }
        catch (ChatTemplateException e)
        {
            throw new GgufException($"'{file.Path}': its chat template cannot be used: {e.Message}");
        }
    }

    /// <summary>The prompt text, as the template renders it.</summary>
    /// <exception cref="ChatTemplateException">The template refused the conversation (its <c>raise_exception</c>, e.g. roles out of order).</exception>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true, IReadOnlyDictionary<string, object?>? extra = null) =>
        Template.Render(messages, addGenerationPrompt, _bos, _eos, extra);

    /// <summary>The prompt's tokens; <paramref name="answerOpening"/> is text the answer is made to begin with (a forced tool call's opening).</summary>
    /// <exception cref="ChatTemplateException">The template refused the conversation.</exception>
    public List<int> Tokens(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = true, IReadOnlyDictionary<string, object?>? extra = null, string answerOpening = "")
    {
        var text = Render(messages, addGenerationPrompt, extra) + answerOpening;
        // Templates that write bos_token themselves would get a second one from the tokenizer: as llama.cpp, keep one.
        if (_bos.Length > 0 && _tokenizer.Vocabulary.AddBos && text.StartsWith(_bos, StringComparison.Ordinal)) text = text[_bos.Length..];
        return _tokenizer.Encode(text, addSpecial: true, parseSpecial: true);
    }
}
