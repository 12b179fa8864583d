using System.Text.Json;
using Switchboard.Inference.Generation;
using Switchboard.Metering;

namespace Switchboard.LocalModels;

/// <summary>
/// A local model's answers in OpenAI's shapes: <c>chat.completion</c> and its chunks, <c>text_completion</c> and its
/// stream objects, written straight as JSON (a local stream is never rendered as SSE text only to be parsed again).
/// </summary>
internal static class LocalResponses
{
    public static string FinishReason(FinishReason? finish) => finish == Inference.Generation.FinishReason.Length ? "length" : "stop";

    /// <summary>The whole answer: one choice with the text, the finish reason and the usage.</summary>
    public static void WriteCompletion(Utf8JsonWriter json, LocalGeneration generation, string text, string finishReason, Usage usage)
    {
        Head(json, generation, chunk: false);
        json.WriteStartArray("choices"u8);
        json.WriteStartObject();
        json.WriteNumber("index"u8, 0);
        if (generation.IsChat)
        {
            json.WriteStartObject("message"u8);
            json.WriteString("role"u8, "assistant"u8);
            json.WriteString("content"u8, text);
            json.WriteNull("refusal"u8);
            json.WriteEndObject();
        }
        else
        {
            json.WriteString("text"u8, text);
        }
        json.WriteNull("logprobs"u8);
        json.WriteString("finish_reason"u8, finishReason);
        json.WriteEndObject();
        json.WriteEndArray();
        WriteUsage(json, usage);
        json.WriteEndObject();
    }

    /// <summary>One stream chunk: the assistant role (chat's first chunk), a piece of text, or the finish reason.</summary>
    public static void WriteChunk(Utf8JsonWriter json, LocalGeneration generation, bool role, string? text, string? finishReason)
    {
        Head(json, generation, chunk: true);
        json.WriteStartArray("choices"u8);
        json.WriteStartObject();
        json.WriteNumber("index"u8, 0);
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
        json.WriteNull("logprobs"u8);
        if (finishReason is null) json.WriteNull("finish_reason"u8);
        else json.WriteString("finish_reason"u8, finishReason);
        json.WriteEndObject();
        json.WriteEndArray();
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
