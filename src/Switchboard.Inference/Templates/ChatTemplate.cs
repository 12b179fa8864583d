namespace Switchboard.Inference.Templates;

/// <summary>
/// A model's chat template (<c>tokenizer.chat_template</c>), rendered as Hugging Face transformers does: Jinja2 with
/// <c>trim_blocks</c>, <c>lstrip_blocks</c>, loop controls, <c>raise_exception</c>, <c>strftime_now</c> and a
/// <c>json.dumps</c>-style <c>tojson</c>. Parse once at model load; rendering is thread-safe.
/// </summary>
public sealed class ChatTemplate
{
    private const string ChatMlSource =
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}"
        + "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private readonly IReadOnlyList<Stmt> _body;

    private ChatTemplate(IReadOnlyList<Stmt> body) => _body = body;

    /// <summary>The ChatML format, for models that carry no template.</summary>
    public static ChatTemplate ChatMl { get; } = Parse(ChatMlSource);

    /// <summary>Parses Jinja template text.</summary>
    /// <exception cref="ChatTemplateException">A syntax error or an unsupported construct, with its line:column.</exception>
    public static ChatTemplate Parse(string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(Parser.Parse(source));
    }

    /// <summary>Renders the prompt for a conversation.</summary>
    /// <param name="messages">The conversation, exposed as <c>messages</c> (mappings with <c>role</c> and <c>content</c>).</param>
    /// <param name="addGenerationPrompt">Whether to open an assistant turn at the end.</param>
    /// <param name="bosToken">The text of the BOS token, exposed as <c>bos_token</c>.</param>
    /// <param name="eosToken">The text of the EOS token, exposed as <c>eos_token</c>.</param>
    /// <param name="extra">
    /// More top-level variables such as <c>tools</c>, <c>date_string</c> or <c>enable_thinking</c>: strings, booleans,
    /// numbers, null, lists, string-keyed dictionaries or <see cref="System.Text.Json.JsonElement"/>.
    /// </param>
    /// <exception cref="ChatTemplateException">The template raised an exception or hit a runtime error.</exception>
    public string Render(
        IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string bosToken, string eosToken, IReadOnlyDictionary<string, object?>? extra = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var globals = new Frame(null);
        if (extra is not null)
        {
            foreach (var (name, value) in extra) globals.Set(name, ValueConverter.FromClr(value));
        }

        globals.Set("messages", messages.Select(ValueConverter.FromClr).ToList());
        globals.Set("add_generation_prompt", addGenerationPrompt);
        globals.Set("bos_token", bosToken);
        globals.Set("eos_token", eosToken);
        return new Renderer().Render(_body, globals);
    }
}
