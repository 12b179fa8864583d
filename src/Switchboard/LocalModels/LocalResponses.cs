using System.Text.Json;
using Switchboard.Inference.Generation;
using Switchboard.Metering;

namespace Switchboard.LocalModels;

/// <summary>
/// A local model's answers in OpenAI's shapes: <c>chat.completion</c> and its chunks, <c>text_completion</c> and its
/// stream objects, written straight as JSON (a local stream is never rendered as SSE text only to be parsed again).
/// </summary>
/// <summary>One finished choice of a whole answer.</summary>
internal readonly record struct LocalChoice(string Text, string FinishReason, IReadOnlyList<(int Token, TokenLogprobs Logprobs)>? Logprobs)
{
    /// <summary>The tool calls the answer made (then <see cref="FinishReason"/> is <c>tool_calls</c>).</summary>
    public IReadOnlyList<LocalToolCall> ToolCalls { get; init; } = [];
}

internal static class LocalResponses
{
    public static string FinishReason(FinishReason? finish) => finish == Inference.Generation.FinishReason.Length ? "length" : "stop";

    /// <summary>
    /// With tools, as OpenAI reports it: <c>length</c> when cut short, <c>tool_calls</c> when the answer made calls
    /// (but <c>stop</c> when <c>tool_choice</c> named the function), else <c>stop</c>.
    /// </summary>
    public static string FinishReason(FinishReason? finish, bool madeCalls, bool named) =>
        finish == Inference.Generation.FinishReason.Length ? "length" : madeCalls && !named ? "tool_calls" : "stop";

    /// <summary>The whole answer: each choice with its text, finish reason and (if asked) its tokens' log probabilities; the usage.</summary>
    public static void WriteCompletion(Utf8JsonWriter json, LocalGeneration generation, IReadOnlyList<LocalChoice> choices, Usage usage)
    {
        Head(json, generation, chunk: false);
        json.WriteStartArray("choices"u8);
        for (var index = 0; index < choices.Count; index++) WriteChoice(json, generation, index, choices[index]);
        json.WriteEndArray();
        WriteUsage(json, usage);
        json.WriteEndObject();
    }

    private static void WriteChoice(Utf8JsonWriter json, LocalGeneration generation, int index, LocalChoice choice)
    {
        var (text, finishReason, logprobs) = choice;
        json.WriteStartObject();
        json.WriteNumber("index"u8, index);
        if (generation.IsChat)
        {
            json.WriteStartObject("message"u8);
            json.WriteString("role"u8, "assistant"u8);
            // As OpenAI: an answer of only tool calls has null content.
            if (text.Length == 0 && choice.ToolCalls.Count > 0) json.WriteNull("content"u8);
            else json.WriteString("content"u8, text);
            json.WriteNull("refusal"u8);
            if (choice.ToolCalls.Count > 0)
            {
                json.WriteStartArray("tool_calls"u8);
                for (var i = 0; i < choice.ToolCalls.Count; i++) WriteToolCall(json, choice.ToolCalls[i], index: null);
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("text"u8, text);
        }
        WriteLogprobs(json, generation, logprobs);
        json.WriteString("finish_reason"u8, finishReason);
        json.WriteEndObject();
    }

    /// <summary>One stream chunk: the assistant role (chat's first chunk), a piece of text, or the finish reason.</summary>
    public static void WriteChunk(Utf8JsonWriter json, LocalGeneration generation, int index, bool role, string? text, string? finishReason,
        (int Token, TokenLogprobs Logprobs)? logprobs = null)
    {
        Head(json, generation, chunk: true);
        json.WriteStartArray("choices"u8);
        json.WriteStartObject();
        json.WriteNumber("index"u8, index);
        if (generation.IsChat)
        {
            json.WriteStartObject("delta"u8);
            if (role) json.WriteString("role"u8, "assistant"u8);
            if (text is not null) json.WriteString("content"u8, text);
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("text"u8, text ?? "");
        }
        WriteLogprobs(json, generation, logprobs is { } one ? [one] : null);
        if (finishReason is null) json.WriteNull("finish_reason"u8);
        else json.WriteString("finish_reason"u8, finishReason);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>A stream chunk carrying a choice's tool calls whole, each with its index among them.</summary>
    public static void WriteToolCallChunk(Utf8JsonWriter json, LocalGeneration generation, int choice, IReadOnlyList<LocalToolCall> calls)
    {
        Head(json, generation, chunk: true);
        json.WriteStartArray("choices"u8);
        json.WriteStartObject();
        json.WriteNumber("index"u8, choice);
        json.WriteStartObject("delta"u8);
        json.WriteStartArray("tool_calls"u8);
        for (var i = 0; i < calls.Count; i++) WriteToolCall(json, calls[i], i);
        json.WriteEndArray();
        json.WriteEndObject();
        json.WriteNull("logprobs"u8);
        json.WriteNull("finish_reason"u8);
        json.WriteEndObject();
        json.WriteEndArray();
        json.WriteEndObject();
    }

    private static void WriteToolCall(Utf8JsonWriter json, LocalToolCall call, int? index)
    {
        json.WriteStartObject();
        if (index is { } i) json.WriteNumber("index"u8, i);
        json.WriteString("id"u8, call.Id);
        json.WriteString("type"u8, "function"u8);
        json.WriteStartObject("function"u8);
        json.WriteString("name"u8, call.Name);
        json.WriteString("arguments"u8, call.Arguments);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>The usage chunk OpenAI sends last when <c>stream_options.include_usage</c> is set: no choices.</summary>
    public static void WriteUsageChunk(Utf8JsonWriter json, LocalGeneration generation, Usage usage)
    {
        Head(json, generation, chunk: true);
        json.WriteStartArray("choices"u8);
        json.WriteEndArray();
        WriteUsage(json, usage);
        json.WriteEndObject();
    }

    /// <summary>
    /// <c>logprobs</c> in the endpoint's shape: chat's <c>content</c> list (token, logprob, bytes, top_logprobs), or
    /// the completions API's parallel lists (tokens, token_logprobs, top_logprobs, text_offset); null when not asked.
    /// </summary>
    private static void WriteLogprobs(Utf8JsonWriter json, LocalGeneration generation, IReadOnlyList<(int Token, TokenLogprobs Logprobs)>? tokens)
    {
        if (tokens is null)
        {
            json.WriteNull("logprobs"u8);
            return;
        }
        json.WriteStartObject("logprobs"u8);
        if (generation.IsChat)
        {
            json.WriteStartArray("content"u8);
            foreach (var (token, logprobs) in tokens)
            {
                json.WriteStartObject();
                WriteToken(json, generation, token, logprobs.Logprob);
                json.WriteStartArray("top_logprobs"u8);
                foreach (var (alternative, logprob) in logprobs.Top)
                {
                    json.WriteStartObject();
                    WriteToken(json, generation, alternative, logprob);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteNull("refusal"u8);
        }
        else
        {
            json.WriteStartArray("tokens"u8);
            foreach (var (token, _) in tokens) json.WriteStringValue(Text(generation, token));
            json.WriteEndArray();
            json.WriteStartArray("token_logprobs"u8);
            foreach (var (_, logprobs) in tokens) json.WriteNumberValue(logprobs.Logprob);
            json.WriteEndArray();
            json.WriteStartArray("top_logprobs"u8);
            foreach (var (_, logprobs) in tokens)
            {
                json.WriteStartObject();
                foreach (var (alternative, logprob) in logprobs.Top) json.WriteNumber(Text(generation, alternative), logprob);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteStartArray("text_offset"u8);
            var offset = 0;
            foreach (var (token, _) in tokens)
            {
                json.WriteNumberValue(offset);
                offset += Text(generation, token).Length;
            }
            json.WriteEndArray();
        }
        json.WriteEndObject();
    }

    private static void WriteToken(Utf8JsonWriter json, LocalGeneration generation, int token, float logprob)
    {
        var bytes = generation.Tokenizer.TokenBytes(token);
        json.WriteString("token"u8, System.Text.Encoding.UTF8.GetString(bytes));
        json.WriteNumber("logprob"u8, logprob);
        json.WriteStartArray("bytes"u8);
        foreach (var b in bytes) json.WriteNumberValue(b);
        json.WriteEndArray();
    }

    private static string Text(LocalGeneration generation, int token) => System.Text.Encoding.UTF8.GetString(generation.Tokenizer.TokenBytes(token));

    private static void Head(Utf8JsonWriter json, LocalGeneration generation, bool chunk)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, generation.Id);
        json.WriteString("object"u8, generation.IsChat ? chunk ? "chat.completion.chunk"u8 : "chat.completion"u8 : "text_completion"u8);
        json.WriteNumber("created"u8, generation.Created);
        json.WriteString("model"u8, generation.Model);
        json.WriteNull("system_fingerprint"u8);
    }

    private static void WriteUsage(Utf8JsonWriter json, Usage usage)
    {
        json.WriteStartObject("usage"u8);
        json.WriteNumber("prompt_tokens"u8, usage.PromptTokens);
        json.WriteNumber("completion_tokens"u8, usage.CompletionTokens);
        json.WriteNumber("total_tokens"u8, usage.TotalTokens);
        json.WriteEndObject();
    }
}
