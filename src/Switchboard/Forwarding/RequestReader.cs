using System.Text.Json;
using Switchboard.Api;
using Switchboard.Errors;

namespace Switchboard.Forwarding;

/// <summary>Parses and validates a client's JSON body, answering bad input with OpenAI's error for it.</summary>
internal static class RequestReader
{
    private static readonly JsonDocumentOptions ParseOptions = new() { MaxDepth = 128 };

    public static async Task<(ProxyRequest? Request, OpenAiError? Error)> ReadAsync(HttpRequest http, ApiEndpoint endpoint, long maxBytes, CancellationToken cancellationToken)
    {
        if (http.ContentLength > maxBytes) return (null, GatewayErrors.BodyTooLarge(maxBytes));
        JsonDocument document;
        try
        {
            document = await JsonDocument.ParseAsync(http.Body, ParseOptions, cancellationToken);
        }
        catch (JsonException e)
        {
            return (null, GatewayErrors.InvalidJson(e.Message));
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, GatewayErrors.BodyTooLarge(maxBytes));
        }
        catch (BadHttpRequestException e)
        {
            return (null, GatewayErrors.InvalidJson(e.Message));
        }

        var error = Validate(document.RootElement, endpoint, out var model, out var stream, out var wantsUsage);
        if (error is not null)
        {
            document.Dispose();
            return (null, error);
        }
        return (new ProxyRequest(endpoint, document, model!, stream, wantsUsage), null);
    }

    private static OpenAiError? Validate(JsonElement root, ApiEndpoint endpoint, out string? model, out bool stream, out bool wantsUsage)
    {
        model = null;
        stream = false;
        wantsUsage = false;
        if (root.ValueKind != JsonValueKind.Object) return GatewayErrors.BodyNotObject();

        if (root.TryGetProperty("model"u8, out var modelElement) && modelElement.ValueKind != JsonValueKind.Null)
        {
            if (modelElement.ValueKind != JsonValueKind.String) return GatewayErrors.InvalidType("model", "a string");
            model = modelElement.GetString();
        }
        model = string.IsNullOrEmpty(model) ? endpoint.DefaultModel : model;
        if (model is null) return GatewayErrors.MissingParameter("model");

        foreach (var field in endpoint.RequiredFields)
        {
            if (!root.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null)
                return GatewayErrors.MissingParameter(field);
        }
        if (endpoint == ApiEndpoint.ChatCompletions && root.GetProperty("messages"u8).ValueKind != JsonValueKind.Array)
            return GatewayErrors.InvalidType("messages", "an array of messages");

        if (root.TryGetProperty("stream"u8, out var streamElement))
        {
            switch (streamElement.ValueKind)
            {
                case JsonValueKind.True: stream = true; break;
                case JsonValueKind.False or JsonValueKind.Null: break;
                default: return GatewayErrors.InvalidType("stream", "a boolean");
            }
        }
        if (root.TryGetProperty("stream_options"u8, out var options) && options.ValueKind == JsonValueKind.Object &&
            options.TryGetProperty("include_usage"u8, out var include))
        {
            wantsUsage = include.ValueKind == JsonValueKind.True;
        }
        return null;
    }
}
