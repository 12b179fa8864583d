using System.Globalization;
using System.Text;
using System.Text.Json;
using Switchboard.Api;
using Switchboard.Errors;
using Switchboard.Inference.Sampling;
using Switchboard.Inference.Templates;

namespace Switchboard.LocalModels;

/// <summary>
/// What a chat/completions or completions request asks of a local model, read from its JSON. Fields a local model
/// cannot honour yet (tools, images, structured output) are refused by name,
/// never silently ignored.
/// </summary>
internal sealed record LocalRequest(bool IsChat, IReadOnlyList<ChatMessage> Messages, string Prompt, int? MaxTokens, SamplingOptions Sampling, IReadOnlyList<string> Stop, IReadOnlyDictionary<string, float> LogitBias, int? TopLogprobs, int Choices)
{
    /// <summary><c>response_format</c> <c>json_object</c>: the answer is constrained to a JSON object.</summary>
    public bool JsonMode { get; init; }

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
        foreach (var (name, why) in new[] { ("tools", "tools"), ("functions", "function calling"), ("audio", "audio output") })
        {
            if (root.TryGetProperty(name, out var value) && value.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) && !(value.ValueKind == JsonValueKind.Array && value.GetArrayLength() == 0))
                return (null, Unsupported(name, $"Local models do not support {why} yet."));
        }
        var jsonMode = false;
        if (root.TryGetProperty("response_format", out var format) && format.ValueKind == JsonValueKind.Object
            && format.TryGetProperty("type", out var formatType) && formatType.GetString() is { } type && type != "text")
        {
            if (type != "json_object") return (null, Unsupported("response_format", $"Local models do not support response_format '{type}' yet."));
            jsonMode = true;
        }
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
        return (new LocalRequest(isChat, messages, prompt, maxTokens, sampling, stop, bias, topLogprobs, choices) { JsonMode = jsonMode }, null);
    }

    private static (ChatMessage? Message, OpenAiError? Error) Message(JsonElement message, int index)
    {
        var at = $"messages[{index}]";
        if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("role", out var roleValue) || roleValue.GetString() is not { } role)
            return (null, GatewayErrors.InvalidValue(at, "must be an object with a role."));
        if (role is "tool" or "function" || message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array && calls.GetArrayLength() > 0)
            return (null, Unsupported($"{at}.role", "Local models do not support tool calls yet."));
        if (role is not ("system" or "developer" or "user" or "assistant"))
            return (null, GatewayErrors.InvalidValue($"{at}.role", $"'{role}' is not one of system, developer, user, assistant."));
        if (!message.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.Null)
            return (new ChatMessage(role == "developer" ? "system" : role, null), null);
        if (content.ValueKind == JsonValueKind.String) return (new ChatMessage(role == "developer" ? "system" : role, content.GetString()), null);
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
        return (new ChatMessage(role == "developer" ? "system" : role, text.ToString()), null);
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
