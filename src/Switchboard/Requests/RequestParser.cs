using System.Text.Json;
using System.Text.Unicode;
using Switchboard.Api;
using Switchboard.Buffers;
using Switchboard.Errors;
using Switchboard.Json;

namespace Switchboard.Requests;

/// <summary>
/// Validates a client's JSON body in one pass over its bytes, answering bad input with OpenAI's error for it:
/// the body must be valid UTF-8 and one JSON object; <c>model</c>, <c>stream</c> and <c>stream_options</c> (the
/// fields the gateway acts on) must have their types and appear once, so the gateway and the upstream cannot
/// read different values; the endpoint's required fields must be present.
/// </summary>
internal static class RequestParser
{
    public const int MaxModelLength = 256;

    public static (ProxyRequest? Request, OpenAiError? Error) Parse(ByteBuffer body, ApiEndpoint endpoint)
    {
        var json = body.WrittenSpan;
        if (!Utf8.IsValid(json)) return (null, GatewayErrors.InvalidUtf8());
        var model = JsonPropertyRange.None;
        var stream = JsonPropertyRange.None;
        var streamOptions = JsonPropertyRange.None;
        string? modelName = null;
        var wantsUsage = false;
        int? maxTokens = null, maxCompletionTokens = null, choices = null;
        Span<JsonTokenType> required = stackalloc JsonTokenType[endpoint.RequiredFields.Count];
        int objectStart;
        try
        {
            var scanner = new JsonObjectScanner(json);
            if (!scanner.TryReadStart()) return (null, GatewayErrors.BodyNotObject());
            objectStart = scanner.ObjectStart;
            while (scanner.MoveNext())
            {
                if (scanner.NameIs("model"u8))
                {
                    if (model.Exists) return (null, GatewayErrors.DuplicateParameter("model"));
                    model = scanner.ReadValue();
                    if (model.Kind == JsonTokenType.String && (modelName = scanner.TryGetString()) is null)
                        return (null, GatewayErrors.InvalidValue("model", "it is not valid Unicode text."));
                }
                else if (scanner.NameIs("stream"u8))
                {
                    if (stream.Exists) return (null, GatewayErrors.DuplicateParameter("stream"));
                    stream = scanner.ReadValue();
                }
                else if (scanner.NameIs("stream_options"u8))
                {
                    if (streamOptions.Exists) return (null, GatewayErrors.DuplicateParameter("stream_options"));
                    streamOptions = scanner.ReadValue();
                    if (streamOptions.Kind == JsonTokenType.StartObject)
                        wantsUsage = IncludesUsage(json[streamOptions.ValueStart..streamOptions.End]);
                }
                else if (scanner.NameIs("max_tokens"u8) || scanner.NameIs("max_completion_tokens"u8) || scanner.NameIs("n"u8))
                {
                    // Read for admission (the most a request can produce); their validation is the upstream's.
                    var which = scanner.NameIs("n"u8) ? 2 : scanner.NameIs("max_tokens"u8) ? 0 : 1;
                    var value = scanner.ReadValue();
                    var count = value.Kind == JsonTokenType.Number ? scanner.TryGetCount() : null;
                    if (which == 0) maxTokens = count;
                    else if (which == 1) maxCompletionTokens = count;
                    else choices = count;
                }
                else
                {
                    var field = RequiredField(ref scanner, endpoint);
                    var value = scanner.ReadValue();
                    if (field >= 0) required[field] = value.Kind;
                }
            }
        }
        catch (JsonException e)
        {
            return (null, GatewayErrors.InvalidJson(e.Message));
        }

        if (model.Exists && model.Kind is not (JsonTokenType.String or JsonTokenType.Null)) return (null, GatewayErrors.InvalidType("model", "a string"));
        if (stream.Exists && stream.Kind is not (JsonTokenType.True or JsonTokenType.False or JsonTokenType.Null))
            return (null, GatewayErrors.InvalidType("stream", "a boolean"));
        if (streamOptions.Exists && streamOptions.Kind is not (JsonTokenType.StartObject or JsonTokenType.Null))
            return (null, GatewayErrors.InvalidType("stream_options", "an object"));
        for (var i = 0; i < required.Length; i++)
        {
            if (required[i] is JsonTokenType.None or JsonTokenType.Null) return (null, GatewayErrors.MissingParameter(endpoint.RequiredFields[i].Name));
            if (endpoint.RequiredFields[i].MustBeArray && required[i] != JsonTokenType.StartArray)
                return (null, GatewayErrors.InvalidType(endpoint.RequiredFields[i].Name, "an array"));
        }
        var defaulted = string.IsNullOrEmpty(modelName);
        if (defaulted) modelName = endpoint.DefaultModel;
        if (modelName is null) return (null, GatewayErrors.MissingParameter("model"));
        if (modelName.Length > MaxModelLength) return (null, GatewayErrors.InvalidValue("model", $"model names are at most {MaxModelLength} characters."));
        if (modelName.AsSpan().ContainsAnyInRange('\0', '\u001f') || modelName.Contains('\u007f'))
            return (null, GatewayErrors.InvalidValue("model", "model names cannot contain control characters."));
        return (new ProxyRequest(endpoint, body, modelName, defaulted, stream.Kind == JsonTokenType.True, wantsUsage, objectStart, model, streamOptions)
        {
            MaxOutputTokens = maxCompletionTokens ?? maxTokens,
            Choices = Math.Max(1, choices ?? 1),
        }, null);
    }

    private static int RequiredField(ref JsonObjectScanner scanner, ApiEndpoint endpoint)
    {
        for (var i = 0; i < endpoint.RequiredFields.Count; i++)
        {
            if (scanner.NameIs(endpoint.RequiredFields[i].Utf8Name)) return i;
        }
        return -1;
    }

    private static bool IncludesUsage(ReadOnlySpan<byte> options)
    {
        var scanner = new JsonObjectScanner(options);
        scanner.TryReadStart();
        var include = false;
        while (scanner.MoveNext())
        {
            var isInclude = scanner.NameIs("include_usage"u8);
            var value = scanner.ReadValue();
            if (isInclude) include = value.Kind == JsonTokenType.True;
        }
        return include;
    }
}
