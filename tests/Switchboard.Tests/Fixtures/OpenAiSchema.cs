using System.Text.Json;
using System.Text.Json.Nodes;
using Json.Schema;

namespace Switchboard.Tests.Fixtures;

/// <summary>
/// OpenAI's own schemas, from <c>../shared/docs/openai-openapi.json</c> beside the repository (our contract; it is
/// not copied into the repository). <see cref="Validate"/> checks a payload against a component schema such as
/// <c>ErrorResponse</c> or <c>CreateChatCompletionStreamResponse</c>.
/// </summary>
public static class OpenAiSchema
{
    private static readonly Lazy<JsonObject?> Components = new(Load);
    private static readonly Dictionary<string, JsonSchema> Schemas = [];

    /// <summary>Null when the spec is not beside the repository (then callers check the shape by hand only).</summary>
    public static string? SpecPath { get; } = Locate();

    /// <summary>Null when valid; otherwise the validator's errors. Throws when the spec is missing.</summary>
    public static string? Validate(string component, JsonElement payload)
    {
        JsonSchema schema;
        lock (Schemas)
        {
            if (!Schemas.TryGetValue(component, out schema!))
            {
                var all = Components.Value ?? throw new InvalidOperationException("openai-openapi.json not found beside the repository");
                var definitions = new JsonObject();
                Collect(all, component, definitions);
                var document = new JsonObject
                {
                    ["$schema"] = "https://json-schema.org/draft/2020-12/schema",
                    ["$id"] = $"https://switchboard.test/openai/{component}",
                    ["$defs"] = definitions,
                    ["$ref"] = $"#/$defs/{component}",
                };
                schema = JsonSchema.FromText(document.ToJsonString());
                Schemas[component] = schema;
            }
        }
        var results = schema.Evaluate(payload, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid) return null;
        return string.Join("; ", (results.Details ?? []).Where(d => d.Errors is { Count: > 0 })
            .SelectMany(d => d.Errors!.Select(e => $"{d.InstanceLocation}: {e.Value}")).Take(10));
    }

    /// <summary>The component and every schema it refers to, transitively, with OpenAPI 3.0 leftovers translated (<c>nullable</c>, boolean exclusive bounds).</summary>
    private static void Collect(JsonObject all, string name, JsonObject into)
    {
        if (into.ContainsKey(name)) return;
        var schema = all[name]!.DeepClone();
        into[name] = schema;
        var refs = new List<string>();
        Walk(schema, refs);
        foreach (var reference in refs) Collect(all, reference, into);
    }

    private static void Walk(JsonNode? node, List<string> refs)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var key in new[] { "exclusiveMinimum", "exclusiveMaximum" })
                {
                    if (obj[key] is JsonValue value && value.GetValueKind() is JsonValueKind.True or JsonValueKind.False) obj.Remove(key);
                }
                if (obj["nullable"] is JsonValue nullable && nullable.GetValueKind() == JsonValueKind.True)
                {
                    obj.Remove("nullable");
                    if (obj["type"] is JsonValue type) obj["type"] = new JsonArray(type.GetValue<string>(), "null");
                    if (obj["enum"] is JsonArray values && !values.Any(v => v is null)) values.Add(null);
                }
                if (obj["$ref"] is JsonValue reference && reference.GetValue<string>().StartsWith("#/$defs/", StringComparison.Ordinal))
                    refs.Add(reference.GetValue<string>()["#/$defs/".Length..]);
                foreach (var (_, child) in obj.ToList()) Walk(child, refs);
                break;
            case JsonArray array:
                foreach (var child in array) Walk(child, refs);
                break;
        }
    }

    private static JsonObject? Load()
    {
        if (SpecPath is null) return null;
        var text = File.ReadAllText(SpecPath).Replace("#/components/schemas/", "#/$defs/", StringComparison.Ordinal);
        return JsonNode.Parse(text)!["components"]!["schemas"]!.AsObject();
    }

    private static string? Locate()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Switchboard.slnx")))
            {
                var spec = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "docs", "openai-openapi.json"));
                return File.Exists(spec) ? spec : null;
            }
        }
        return null;
    }
}
