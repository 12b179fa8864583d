using System.Text.Json;
using Switchboard.Errors;
using Switchboard.Inference.Constraints;

namespace Switchboard.LocalModels;

/// <summary>
/// The functions a chat request offers a local model (<c>tools</c>) and how it may use them (<c>tool_choice</c>):
/// the definitions as given, for the model's template to render, and each function's parameters compiled, so a
/// forced call (<c>required</c> or a named function) is written under its schema and always parses.
/// </summary>
internal sealed record LocalTools(JsonElement Definitions, IReadOnlyList<(string Name, JsonSchemaNode Parameters)> Functions)
{
    /// <summary>The functions a call is forced to (all for <c>required</c>, one when named); null when the model chooses (<c>auto</c>).</summary>
    public IReadOnlyList<(string Name, JsonSchemaNode Parameters)>? Forced { get; init; }

    /// <summary><c>tool_choice</c> names one function (OpenAI then finishes with <c>stop</c>, not <c>tool_calls</c>).</summary>
    public bool Named { get; init; }

    /// <summary>The request's tools, or null when it offers none or says <c>tool_choice: "none"</c>.</summary>
    public static (LocalTools? Tools, OpenAiError? Error) Read(JsonElement root)
    {
        var hasChoice = root.TryGetProperty("tool_choice", out var choice) && choice.ValueKind != JsonValueKind.Null;
        if (!root.TryGetProperty("tools", out var tools) || tools.ValueKind == JsonValueKind.Null || tools.ValueKind == JsonValueKind.Array && tools.GetArrayLength() == 0)
            return hasChoice ? (null, GatewayErrors.InvalidValue("tool_choice", "is only allowed when tools are specified.")) : (null, null);
        if (tools.ValueKind != JsonValueKind.Array) return (null, GatewayErrors.InvalidType("tools", "an array of tools"));
        var functions = new List<(string Name, JsonSchemaNode Parameters)>();
        var index = 0;
        foreach (var tool in tools.EnumerateArray())
        {
            var at = $"tools[{index++}]";
            if (tool.ValueKind != JsonValueKind.Object || !tool.TryGetProperty("type", out var type) || type.ValueKind != JsonValueKind.String || type.GetString() != "function"
                || !tool.TryGetProperty("function", out var function) || function.ValueKind != JsonValueKind.Object)
                return (null, GatewayErrors.InvalidValue(at, "must be a function tool: {\"type\": \"function\", \"function\": {...}}."));
            if (!function.TryGetProperty("name", out var nameValue) || nameValue.ValueKind != JsonValueKind.String || nameValue.GetString() is not { Length: > 0 and <= 64 } name
                || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
                return (null, GatewayErrors.InvalidValue($"{at}.function.name", "must be 1 to 64 letters, digits, underscores or dashes."));
            if (functions.Any(f => f.Name == name)) return (null, GatewayErrors.InvalidValue($"{at}.function.name", $"'{name}' is defined twice."));
            var strict = function.TryGetProperty("strict", out var strictValue) && strictValue.ValueKind == JsonValueKind.True;
            try
            {
                // No parameters: a function of no arguments, called with an empty object.
                var parameters = function.TryGetProperty("parameters", out var schema) && schema.ValueKind != JsonValueKind.Null
                    ? JsonSchemaCompiler.Compile(schema, strict)
                    : JsonSchemaCompiler.Compile(NoParameters.RootElement, strict: true);
                functions.Add((name, parameters));
            }
            catch (UnsupportedSchemaException e)
            {
                return (null, GatewayErrors.InvalidValue($"{at}.function.parameters", $"Invalid schema for function '{name}': {e.Message}"));
            }
        }

        if (!hasChoice || choice.ValueKind == JsonValueKind.String && choice.GetString() == "auto")
            return (new LocalTools(tools.Clone(), functions), null);
        if (choice.ValueKind == JsonValueKind.String)
        {
            return choice.GetString() switch
            {
                "none" => (null, null),
                "required" => (new LocalTools(tools.Clone(), functions) { Forced = functions }, null),
                var other => (null, GatewayErrors.InvalidValue("tool_choice", $"'{other}' is not one of none, auto, required, or a named function.")),
            };
        }
        if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("function", out var named) && named.ValueKind == JsonValueKind.Object
            && named.TryGetProperty("name", out var chosen) && chosen.ValueKind == JsonValueKind.String && chosen.GetString() is { } chosenName)
        {
            var match = functions.FindIndex(f => f.Name == chosenName);
            return match < 0
                ? (null, GatewayErrors.InvalidValue("tool_choice", $"names function '{chosenName}', which is not in tools."))
                : (new LocalTools(tools.Clone(), functions) { Forced = [functions[match]], Named = true }, null);
        }
        return (null, GatewayErrors.InvalidValue("tool_choice", "must be none, auto, required, or {\"type\": \"function\", \"function\": {\"name\": ...}}."));
    }

    private static readonly JsonDocument NoParameters = JsonDocument.Parse("""{"type":"object","properties":{}}""");
}
