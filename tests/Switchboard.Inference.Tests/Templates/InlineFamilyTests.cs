using Switchboard.Inference.Templates;

namespace Switchboard.Inference.Tests.Templates;

/// <summary>
/// Families whose templates are not in the shared directory, written as their tokenizer_config.json templates look;
/// expected prompts written by hand from each family's documented format.
/// </summary>
public sealed class InlineFamilyTests
{
    private static readonly ChatMessage[] Conversation =
    [
        new("system", "You are a helpful assistant."),
        new("user", "Hello!"),
        new("assistant", "Hi there."),
        new("user", "What is 2+2?"),
    ];

    private const string SmolLM2 =
        "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";

    private const string Zephyr = """
        {% for message in messages %}
        {% if message['role'] == 'user' %}
        {{ '<|user|>
        ' + message['content'] + eos_token }}
        {% elif message['role'] == 'system' %}
        {{ '<|system|>
        ' + message['content'] + eos_token }}
        {% elif message['role'] == 'assistant' %}
        {{ '<|assistant|>
        '  + message['content'] + eos_token }}
        {% endif %}
        {% if loop.last and add_generation_prompt %}
        {{ '<|assistant|>' }}
        {% endif %}
        {% endfor %}
        """;

    private const string Llama2 =
        @"{% if messages[0]['role'] == 'system' %}{% set loop_messages = messages[1:] %}{% set system_message = messages[0]['content'] %}{% else %}{% set loop_messages = messages %}{% set system_message = false %}{% endif %}{% for message in loop_messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if loop.index0 == 0 and system_message != false %}{% set content = '<<SYS>>\n' + system_message + '\n<</SYS>>\n\n' + message['content'] %}{% else %}{% set content = message['content'] %}{% endif %}{% if message['role'] == 'user' %}{{ bos_token + '[INST] ' + content.strip() + ' [/INST]' }}{% elif message['role'] == 'assistant' %}{{ ' '  + content.strip() + ' ' + eos_token }}{% endif %}{% endfor %}";

    [Fact]
    public void ChatMl_built_in()
    {
        var prompt = ChatTemplate.ChatMl.Render(Conversation, true, "", "");

        Assert.Equal(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHello!<|im_end|>\n"
            + "<|im_start|>assistant\nHi there.<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n",
            prompt);
    }

    [Fact]
    public void ChatMl_built_in_without_generation_prompt()
    {
        Assert.Equal("<|im_start|>user\nHi<|im_end|>\n", ChatTemplate.ChatMl.Render([new("user", "Hi")], false, "", ""));
    }

    [Fact]
    public void SmolLM2_adds_its_default_system_message()
    {
        var prompt = ChatTemplate.Parse(SmolLM2).Render(Conversation[1..], true, "", "<|im_end|>");

        Assert.Equal(
            "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
            + "<|im_start|>user\nHello!<|im_end|>\n"
            + "<|im_start|>assistant\nHi there.<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n",
            prompt);
    }

    [Fact]
    public void SmolLM2_keeps_a_given_system_message()
    {
        var prompt = ChatTemplate.Parse(SmolLM2).Render(Conversation, false, "", "<|im_end|>");

        Assert.StartsWith("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n", prompt, StringComparison.Ordinal);
    }

    [Fact]
    public void Zephyr_TinyLlama_one_tag_per_line_with_eos_after_each_turn()
    {
        var prompt = ChatTemplate.Parse(Zephyr).Render(Conversation, true, "<s>", "</s>");

        Assert.Equal(
            "<|system|>\nYou are a helpful assistant.</s>\n"
            + "<|user|>\nHello!</s>\n"
            + "<|assistant|>\nHi there.</s>\n"
            + "<|user|>\nWhat is 2+2?</s>\n"
            + "<|assistant|>\n",
            prompt);
    }

    [Fact]
    public void Llama2_wraps_the_system_prompt_into_the_first_instruction()
    {
        var prompt = ChatTemplate.Parse(Llama2).Render(Conversation, true, "<s>", "</s>");

        Assert.Equal(
            "<s>[INST] <<SYS>>\nYou are a helpful assistant.\n<</SYS>>\n\nHello! [/INST] Hi there. </s>"
            + "<s>[INST] What is 2+2? [/INST]",
            prompt);
    }

    [Fact]
    public void Llama2_without_a_system_message()
    {
        var prompt = ChatTemplate.Parse(Llama2).Render(Conversation[1..], true, "<s>", "</s>");

        Assert.Equal("<s>[INST] Hello! [/INST] Hi there. </s><s>[INST] What is 2+2? [/INST]", prompt);
    }

    [Fact]
    public void Llama2_rejects_turns_that_do_not_alternate()
    {
        var template = ChatTemplate.Parse(Llama2);

        var error = Assert.Throws<ChatTemplateException>(() => template.Render([new("assistant", "x")], true, "<s>", "</s>"));
        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", error.Message);
    }
}
