using System.Globalization;
using System.Text;
using System.Text.Json;
using Switchboard.Api;
using Switchboard.Errors;
using Switchboard.Inference.Constraints;
using Switchboard.Inference.Sampling;
using Switchboard.Inference.Templates;

namespace Switchboard.LocalModels;

/// <summary>
/// What a chat/completions or completions request asks of a local model, read from its JSON. Fields a local model
/// cannot honour (images, audio, legacy function calling) are refused by name, never silently ignored.
/// </summary>
internal sealed record LocalRequest(bool IsChat, IReadOnlyList<ChatMessage> Messages, string Prompt, int? MaxTokens, SamplingOptions Sampling, IReadOnlyList<string> Stop, IReadOnlyDictionary<string, float> LogitBias, int? TopLogprobs, int Choices)
{
    /// <summary><c>response_format</c> <c>json_object</c> or <c>json_schema</c>: the answer is constrained to a JSON object.</summary>
    public bool JsonMode { get; init; }

    /// <summary><c>response_format</c> <c>json_schema</c> with a schema: the object is constrained to it.</summary>
    public JsonSchemaNode? Schema { get; init; }

    /// <summary>The functions offered (<c>tools</c>, <c>tool_choice</c>); null when none may be called.</summary>
    public LocalTools? Tools { get; init; }

    public const int MaxChoices = 8;

    public static (LocalRequest? Request, OpenAiError? Error) Read(ReadOnlyMemory<byte> body, ApiEndpoint endpoint)
    {
        try
        {
            return ReadChecked(body, endpoint);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            // The gateway's own check accepted the JSON; what is left is nesting past the reader's depth or a string
            // (an unpaired surrogate escape) that cannot become text for the model.
            return (null, GatewayErrors.InvalidJson(e.Message));
        }
    }

    private static (LocalRequest? Request, OpenAiError? Error) ReadChecked(ReadOnlyMemory<byte> body, ApiEndpoint endpoint)
    {
        var isChat = endpoint == ApiEndpoint.ChatCompletions;
        if (!isChat && endpoint != ApiEndpoint.Completions)
            return (null, Unsupported("model", $"Local models serve /v1/chat/completions and /v1/completions, not /v1/{endpoint.Path}."));
        using var document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = Json.JsonObjectScanner.MaxDepth });
        var root = document.RootElement;
        foreach (var (name, why) in new[] { ("functions", "legacy function calling (use tools)"), ("audio", "audio output") })
        {
            if (root.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) && !(value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 0))
                return (null, Unsupported(name, $"Local models do not support {why} yet."));
        }
        var (jsonMode, schema, formatError) = ResponseFormat(root);
        if (formatError is not null) return (null, formatError);
        var (tools, toolsError) = isChat ? LocalTools.Read(root) : (null, null);
        if (toolsError is not null) return (null, toolsError);
        if (!isChat && root.TryGetProperty("echo", out var echo) && echo.ValueKind == JsonValueKind.True)
            return (null, Unsupported("echo", "Local models do not support echo."));
        if (!isChat && root.TryGetProperty("suffix", out var suffix) && suffix.ValueKind == JsonValueKind.String)
            return (null, Unsupported("suffix", "Local models do not support suffix."));

        var messages = new List<ChatMessage>();
        var prompt = "";
        if (isChat)
        {
            var index = 0;
            foreach (var message in root.GetProperty("messages").EnumerateArray())
            {
                var (chatMessage, error) = Message(message, index++);
                if (error is not null) return (null, error);
                messages.Add(chatMessage!);
            }
            if (messages.Count == 0) return (null, GatewayErrors.InvalidValue("messages", "must hold at least one message."));
        }
        else
        {
            var given = root.GetProperty("prompt");
            if (given.ValueKind == JsonValueKind.Array && given.GetArrayLength() == 1 && given[0].ValueKind == JsonValueKind.String) given = given[0];
            if (given.ValueKind != JsonValueKind.String) return (null, Unsupported("prompt", "Local models take one prompt string."));
            prompt = given.GetString()!;
        }

        var errors = new List<OpenAiError>();
        var maxTokens = Integer(root, isChat && root.TryGetProperty("max_completion_tokens", out var newName) && newName.ValueKind != JsonValueKind.Null ? "max_completion_tokens" : "max_tokens", 1, int.MaxValue, errors);
        var sampling = new SamplingOptions
        {
            Temperature = (float)(Number(root, "temperature", 0, 2, errors) ?? 1),
            TopP = (float)(Number(root, "top_p", 0, 1, errors) ?? 1),
            FrequencyPenalty = (float)(Number(root, "frequency_penalty", -2, 2, errors) ?? 0),
            PresencePenalty = (float)(Number(root, "presence_penalty", -2, 2, errors) ?? 0),
            Seed = root.TryGetProperty("seed", out var seed) && seed.ValueKind != JsonValueKind.Null
                ? seed.TryGetInt64(out var s) ? unchecked((ulong)s) : Invalid(errors, "seed", "must be an integer.")
                : null,
        };
        var stop = Stops(root, errors);
        var bias = ReadLogitBias(root, errors);
        var topLogprobs = isChat ? ChatLogprobs(root, errors) : Integer(root, "logprobs", 0, 5, errors);
        // Choices are generated one after another on the request's sequence slot: a handful, not hundreds.
        var choices = Integer(root, "n", 1, MaxChoices, errors) ?? 1;
        if (errors.Count > 0) return (null, errors[0]);
        return (new LocalRequest(isChat, messages, prompt, maxTokens, sampling, stop, bias, topLogprobs, choices) { JsonMode = jsonMode, Schema = schema, Tools = tools }, null);
    }

    /// <summary>
    /// <c>response_format</c>: <c>json_object</c> asks for any JSON object; <c>json_schema</c> for one of its schema,
    /// compiled here so a schema outside the subset the constraint follows is refused before any work.
    /// </summary>
    private static (bool JsonMode, JsonSchemaNode? Schema, OpenAiError? Error) ResponseFormat(JsonElement root)
    {
        if (!root.TryGetProperty("response_format", out var format) || format.ValueKind != JsonValueKind.Object
            || !format.TryGetProperty("type", out var formatType) || formatType.GetString() is not { } type || type == "text")
            return (false, null, null);
        if (type == "json_object") return (true, null, null);
        if (type != "json_schema") return (false, null, Unsupported("response_format", $"Local models do not support response_format '{type}'."));
        if (!format.TryGetProperty("json_schema", out var definition) || definition.ValueKind != JsonValueKind.Object)
            return (false, null, GatewayErrors.InvalidValue("response_format.json_schema", "is required for type 'json_schema'."));
        if (!definition.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String || name.GetString() is not { Length: > 0 and <= 64 } schemaName
            || !schemaName.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            return (false, null, GatewayErrors.InvalidValue("response_format.json_schema.name", "must be 1 to 64 letters, digits, underscores or dashes."));
        if (!definition.TryGetProperty("schema", out var body) || body.ValueKind == JsonValueKind.Null) return (true, null, null);
        var strict = definition.TryGetProperty("strict", out var strictValue) && strictValue.ValueKind == JsonValueKind.True;
        try
        {
            return (true, JsonSchemaCompiler.Compile(body, strict), null);
        }
        catch (UnsupportedSchemaException e)
        {
            return (false, null, GatewayErrors.InvalidValue("response_format.json_schema.schema", $"Invalid schema for response_format '{schemaName}': {e.Message}"));
        }
    }

    private static (ChatMessage? Message, OpenAiError? Error) Message(JsonElement message, int index)
    {
        var at = $"messages[{index}]";
        if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var roleValue) || roleValue.GetString() is not { } role)
            return (null, GatewayErrors.InvalidValue(at, "must be an object with a role."));
        if (role == "function") return (null, Unsupported($"{at}.role", "Local models do not support legacy function messages; use tools and role 'tool'."));
        if (role is not ("system" or "developer" or "user" or "assistant" or "tool"))
            return (null, GatewayErrors.InvalidValue($"{at}.role", $"'{role}' is not one of system, developer, user, assistant, tool."));
        var (calls, callsError) = role == "assistant" ? ToolCalls(message, at) : (null, null);
        if (callsError is not null) return (null, callsError);
        var toolCallId = role == "tool" && message.TryGetProperty("tool_call_id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString() : null;
        if (role == "tool" && toolCallId is null) return (null, GatewayErrors.MissingParameter($"{at}.tool_call_id"));
        ChatMessage Made(string? text) => new(role == "developer" ? "system" : role, text) { ToolCalls = calls, ToolCallId = toolCallId };
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null) return (Made(null), null);
        if (content.ValueKind == JsonValueKind.String) return (Made(content.GetString()), null);
        if (content.ValueKind != JsonValueKind.Array) return (null, GatewayErrors.InvalidType($"{at}.content", "a string or an array of content parts"));
        var text = new StringBuilder();
        var part = 0;
        foreach (var item in content.EnumerateArray())
        {
            var type = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("type", out var t) ? t.GetString() : null;
            if (type != "text" || !item.TryGetProperty("text", out var partText) || partText.ValueKind != JsonValueKind.String)
                return (null, Unsupported($"{at}.content[{part}]", $"Local models read text content parts only{(type is null ? "" : $", not '{type}'")}."));
            text.Append(partText.GetString());
            part++;
        }
        return (Made(text.ToString()), null);
    }

    /// <summary>An assistant turn's <c>tool_calls</c>, as the model's template renders them back.</summary>
    private static (List<ChatToolCall>? Calls, OpenAiError? Error) ToolCalls(JsonElement message, string at)
    {
        if (!message.TryGetProperty("tool_calls", out var calls) || calls.ValueKind == JsonValueKind.Null) return (null, null);
        if (calls.ValueKind != JsonValueKind.Array) return (null, GatewayErrors.InvalidType($"{at}.tool_calls", "an array of tool calls"));
        var list = new List<ChatToolCall>();
        var index = 0;
        foreach (var call in calls.EnumerateArray())
        {
            var where = $"{at}.tool_calls[{index++}]";
            if (call.ValueKind != JsonValueKind.Object || !call.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object
                || !function.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String)
                return (null, GatewayErrors.InvalidValue(where, "must be {\"id\", \"type\": \"function\", \"function\": {\"name\", \"arguments\"}}."));
            var arguments = function.TryGetProperty("arguments", out var given) && given.ValueKind == JsonValueKind.String ? given.GetString()! : "{}";
            var id = call.TryGetProperty("id", out var idValue) && idValue.ValueKind == JsonValueKind.String ? idValue.GetString()! : "";
            list.Add(new ChatToolCall(id, name.GetString()!, arguments));
        }
        return (list.Count > 0 ? list : null, null);
    }

    /// <summary>Chat asks with <c>logprobs: true</c> and, for alternatives, <c>top_logprobs</c> (0 to 20); null when not asked.</summary>
    private static int? ChatLogprobs(JsonElement root, List<OpenAiError> errors)
    {
        var asked = root.TryGetProperty("logprobs", out var logprobs) && logprobs.ValueKind == JsonValueKind.True;
        if (root.TryGetProperty("logprobs", out logprobs) && logprobs.ValueKind is not (JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null))
            errors.Add(GatewayErrors.InvalidType("logprobs", "a boolean"));
        var top = Integer(root, "top_logprobs", 0, 20, errors);
        if (top is not null && !asked) errors.Add(GatewayErrors.InvalidValue("top_logprobs", "needs logprobs set to true."));
        return asked ? top ?? 0 : null;
    }

    private static List<string> Stops(JsonElement root, List<OpenAiError> errors)
    {
        if (!root.TryGetProperty("stop", out var stop) || stop.ValueKind == JsonValueKind.Null) return [];
        if (stop.ValueKind == JsonValueKind.String) return [stop.GetString()!];
        if (stop.ValueKind == JsonValueKind.Array && stop.GetArrayLength() <= 4 && stop.EnumerateArray().All(s => s.ValueKind == JsonValueKind.String))
            return [.. stop.EnumerateArray().Select(s => s.GetString()!)];
        errors.Add(GatewayErrors.InvalidValue("stop", "must be a string or an array of up to 4 strings."));
        return [];
    }

    private static Dictionary<string, float> ReadLogitBias(JsonElement root, List<OpenAiError> errors)
    {
        var bias = new Dictionary<string, float>(StringComparer.Ordinal);
        if (!root.TryGetProperty("logit_bias", out var map) || map.ValueKind == JsonValueKind.Null) return bias;
        if (map.ValueKind != JsonValueKind.Object)
        {
            errors.Add(GatewayErrors.InvalidType("logit_bias", "an object of token ids to numbers"));
            return bias;
        }
        foreach (var entry in map.EnumerateObject())
        {
            if (!int.TryParse(entry.Name, NumberStyles.None, CultureInfo.InvariantCulture, out _) || !entry.Value.TryGetDouble(out var value) || value is < -100 or > 100)
            {
                errors.Add(GatewayErrors.InvalidValue("logit_bias", $"'{entry.Name}' must be a token id mapped to a number from -100 to 100."));
                break;
            }
            bias[entry.Name] = (float)value;
        }
        return bias;
    }

    private static int? Integer(JsonElement root, string name, int min, int max, List<OpenAiError> errors)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.TryGetInt32(out var number) && number >= min && number <= max) return number;
        errors.Add(GatewayErrors.InvalidValue(name, max == int.MaxValue ? $"must be an integer of at least {min}." : $"must be an integer from {min} to {max}."));
        return null;
    }

    private static double? Number(JsonElement root, string name, double min, double max, List<OpenAiError> errors)
    {
        if (!root.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.TryGetDouble(out var number) && number >= min && number <= max) return number;
        errors.Add(GatewayErrors.InvalidValue(name, string.Create(CultureInfo.InvariantCulture, $"must be a number from {min} to {max}.")));
        return null;
    }

    private static ulong? Invalid(List<OpenAiError> errors, string name, string problem)
    {
        errors.Add(GatewayErrors.InvalidValue(name, problem));
        return null;
    }

    private static OpenAiError Unsupported(string param, string message) =>
        new(400, message, "invalid_request_error", param, "unsupported_parameter") { ShouldRetry = false };
}
