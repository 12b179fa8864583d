using System.Text.Json;
using Switchboard.Inference.Templates;

namespace Switchboard.Inference.Tests.Templates;

/// <summary>
/// Real model templates rendered against prompts written out by hand from each family's documented format
/// (never produced by this renderer).
/// </summary>
public sealed class TemplateFamilyTests
{
    private static readonly ChatMessage System = new("system", "You are a helpful assistant.");

    private static readonly ChatMessage[] Turns =
    [
        new("user", "Hello!"),
        new("assistant", "Hi there."),
        new("user", "What is 2+2?"),
    ];

    private static ChatMessage[] WithSystem => [System, .. Turns];

    private static ChatTemplate Load(string file) => ChatTemplate.Parse(File.ReadAllText(TestModels.PathOf($"templates/{file}")));

    private static Dictionary<string, object?> Extra(string key, object? value) => new Dictionary<string, object?> { [key] = value };

    [ModelFact]
    public void Qwen2_5_uses_the_given_system_message()
    {
        var prompt = Load("Qwen-Qwen2.5-7B-Instruct.jinja").Render(WithSystem, true, "", "<|im_end|>");

        Assert.Equal(
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHello!<|im_end|>\n"
            + "<|im_start|>assistant\nHi there.<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n",
            prompt);
    }

    [ModelFact]
    public void Qwen2_5_adds_its_default_system_message()
    {
        var prompt = Load("Qwen-Qwen2.5-7B-Instruct.jinja").Render(Turns, true, "", "<|im_end|>");

        Assert.Equal(
            "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
            + "<|im_start|>user\nHello!<|im_end|>\n"
            + "<|im_start|>assistant\nHi there.<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n",
            prompt);
    }

    [ModelFact]
    public void Qwen2_5_lists_tools_as_json_in_the_system_turn()
    {
        const string tools = """
            [{"type": "function", "function": {"name": "get_weather", "description": "Get the weather",
              "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
            """;
        using var json = JsonDocument.Parse(tools);
        ChatMessage[] messages = [System, new("user", "What is the weather in Paris?")];

        var prompt = Load("Qwen-Qwen2.5-7B-Instruct.jinja").Render(messages, true, "", "<|im_end|>", Extra("tools", json.RootElement));

        Assert.Equal(
            "<|im_start|>system\nYou are a helpful assistant.\n\n# Tools\n\n"
            + "You may call one or more functions to assist with the user query.\n\n"
            + "You are provided with function signatures within <tools></tools> XML tags:\n<tools>\n"
            + "{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"description\": \"Get the weather\", "
            + "\"parameters\": {\"type\": \"object\", \"properties\": {\"city\": {\"type\": \"string\"}}, \"required\": [\"city\"]}}}\n"
            + "</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n"
            + "<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n"
            + "<|im_start|>user\nWhat is the weather in Paris?<|im_end|>\n"
            + "<|im_start|>assistant\n",
            prompt);
    }

    [ModelFact]
    public void Qwen2_5_without_generation_prompt_ends_after_the_last_turn()
    {
        var prompt = Load("Qwen-Qwen2.5-7B-Instruct.jinja").Render(WithSystem, false, "", "<|im_end|>");

        Assert.EndsWith("<|im_start|>user\nWhat is 2+2?<|im_end|>\n", prompt, StringComparison.Ordinal);
    }

    [ModelTheory]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct.jinja")]
    [InlineData("meta-llama-Llama-3.2-3B-Instruct.jinja")]
    public void Llama3_puts_the_dates_and_system_message_in_the_system_header(string file)
    {
        var prompt = Load(file).Render(WithSystem, true, "<|begin_of_text|>", "<|eot_id|>", Extra("date_string", "26 Jul 2024"));

        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + "Cutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n"
            + "You are a helpful assistant.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHi there.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            prompt);
    }

    [ModelTheory]
    [InlineData("meta-llama-Llama-3.1-8B-Instruct.jinja")]
    [InlineData("meta-llama-Llama-3.2-3B-Instruct.jinja")]
    public void Llama3_without_a_system_message_still_has_the_system_header(string file)
    {
        var prompt = Load(file).Render(Turns, true, "<|begin_of_text|>", "<|eot_id|>", Extra("date_string", "01 Dec 2026"));

        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\n"
            + "Cutting Knowledge Date: December 2023\nToday Date: 01 Dec 2026\n\n<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nHello!<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\nHi there.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            prompt);
    }

    [ModelFact]
    public void Llama3_1_defaults_the_date_when_none_is_given()
    {
        var prompt = Load("meta-llama-Llama-3.1-8B-Instruct.jinja").Render(Turns, true, "<|begin_of_text|>", "<|eot_id|>");

        Assert.StartsWith(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\nToday Date: 26 Jul 2024\n\n<|eot_id|>",
            prompt,
            StringComparison.Ordinal);
    }

    [ModelFact]
    public void Llama3_1_trims_message_content()
    {
        ChatMessage[] messages = [new("user", "  padded question \n")];
        var prompt = Load("meta-llama-Llama-3.1-8B-Instruct.jinja").Render(messages, false, "", "");

        Assert.EndsWith("<|start_header_id|>user<|end_header_id|>\n\npadded question<|eot_id|>", prompt, StringComparison.Ordinal);
    }

    [ModelFact]
    public void Phi3_5_uses_system_user_assistant_tags()
    {
        var prompt = Load("microsoft-Phi-3.5-mini-instruct.jinja").Render(WithSystem, true, "<s>", "<|endoftext|>");

        Assert.Equal(
            "<|system|>\nYou are a helpful assistant.<|end|>\n"
            + "<|user|>\nHello!<|end|>\n"
            + "<|assistant|>\nHi there.<|end|>\n"
            + "<|user|>\nWhat is 2+2?<|end|>\n"
            + "<|assistant|>\n",
            prompt);
    }

    [ModelFact]
    public void Phi3_5_without_generation_prompt_ends_with_eos()
    {
        var prompt = Load("microsoft-Phi-3.5-mini-instruct.jinja").Render(Turns, false, "<s>", "<|endoftext|>");

        Assert.Equal("<|user|>\nHello!<|end|>\n<|assistant|>\nHi there.<|end|>\n<|user|>\nWhat is 2+2?<|end|>\n<|endoftext|>", prompt);
    }

    [ModelFact]
    public void Gemma2_renders_turns_with_the_model_role()
    {
        var prompt = Load("google-gemma-2-2b-it.jinja").Render(Turns, true, "<bos>", "<eos>");

        Assert.Equal(
            "<bos><start_of_turn>user\nHello!<end_of_turn>\n"
            + "<start_of_turn>model\nHi there.<end_of_turn>\n"
            + "<start_of_turn>user\nWhat is 2+2?<end_of_turn>\n"
            + "<start_of_turn>model\n",
            prompt);
    }

    [ModelFact]
    public void Gemma2_rejects_a_system_message_with_the_templates_message()
    {
        var template = Load("google-gemma-2-2b-it.jinja");

        var error = Assert.Throws<ChatTemplateException>(() => template.Render(WithSystem, true, "<bos>", "<eos>"));
        Assert.Equal("System role not supported", error.Message);
    }

    [ModelFact]
    public void Gemma2_rejects_turns_that_do_not_alternate()
    {
        ChatMessage[] messages = [new("user", "a"), new("user", "b")];

        var error = Assert.Throws<ChatTemplateException>(() => Load("google-gemma-2-2b-it.jinja").Render(messages, true, "<bos>", "<eos>"));
        Assert.Equal("Conversation roles must alternate user/assistant/user/assistant/...", error.Message);
    }

    [ModelFact]
    public void Mistral_Nemo_puts_the_system_message_before_the_last_user_message()
    {
        var prompt = Load("mistralai-Mistral-Nemo-Instruct-2407.jinja").Render(WithSystem, true, "<s>", "</s>");

        Assert.Equal("<s>[INST]Hello![/INST]Hi there.</s>[INST]You are a helpful assistant.\n\nWhat is 2+2?[/INST]", prompt);
    }

    [ModelFact]
    public void Mistral_Nemo_without_a_system_message()
    {
        var prompt = Load("mistralai-Mistral-Nemo-Instruct-2407.jinja").Render(Turns, true, "<s>", "</s>");

        Assert.Equal("<s>[INST]Hello![/INST]Hi there.</s>[INST]What is 2+2?[/INST]", prompt);
    }

    [ModelFact]
    public void DeepSeek_R1_distill_opens_a_think_block_and_drops_earlier_reasoning()
    {
        ChatMessage[] messages =
        [
            System,
            new("user", "Hello!"),
            new("assistant", "<think>\nThe user greets me.\n</think>\n\nHi there."),
            new("user", "What is 2+2?"),
        ];
        var prompt = Load("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja")
            .Render(messages, true, "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", Extra("enable_thinking", true));

        Assert.Equal(
            "<｜begin▁of▁sentence｜>You are a helpful assistant."
            + "<｜User｜>Hello!<｜Assistant｜>\n\nHi there.<｜end▁of▁sentence｜>"
            + "<｜User｜>What is 2+2?<｜Assistant｜><think>\n",
            prompt);
    }

    [ModelFact]
    public void DeepSeek_R1_distill_closes_the_think_block_when_thinking_is_off()
    {
        var prompt = Load("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B.jinja")
            .Render(Turns, true, "<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>", Extra("enable_thinking", false));

        Assert.Equal(
            "<｜begin▁of▁sentence｜><｜User｜>Hello!<｜Assistant｜>Hi there.<｜end▁of▁sentence｜>"
            + "<｜User｜>What is 2+2?<｜Assistant｜><think>\n</think>",
            prompt);
    }

    [ModelFact]
    public void SmolLM3_puts_metadata_and_custom_instructions_in_the_system_turn()
    {
        var prompt = Load("HuggingFaceTB-SmolLM3-3B.jinja").Render(WithSystem, true, "", "<|im_end|>");

        Assert.Equal(
            "<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\nReasoning Mode: /think\n\n"
            + "## Custom Instructions\n\nYou are a helpful assistant.\n\n<|im_end|>\n"
            + "<|im_start|>user\nHello!<|im_end|>\n"
            + "<|im_start|>assistant\nHi there.<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n",
            prompt);
    }

    [ModelFact]
    public void SmolLM3_no_think_mode_adds_empty_think_blocks()
    {
        ChatMessage[] messages = [new("system", "Be brief. /no_think"), .. Turns];
        var prompt = Load("HuggingFaceTB-SmolLM3-3B.jinja").Render(messages, true, "", "<|im_end|>");

        Assert.Equal(
            "<|im_start|>system\n## Metadata\n\nKnowledge Cutoff Date: June 2025\nReasoning Mode: /no_think\n\n"
            + "## Custom Instructions\n\nBe brief.\n\n<|im_end|>\n"
            + "<|im_start|>user\nHello!<|im_end|>\n"
            + "<|im_start|>assistant\n<think>\n\n</think>\nHi there.<|im_end|>\n"
            + "<|im_start|>user\nWhat is 2+2?<|im_end|>\n"
            + "<|im_start|>assistant\n<think>\n\n</think>\n",
            prompt);
    }
}
