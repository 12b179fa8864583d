using System.Text.Json;

namespace Switchboard.Errors;

/// <summary>
/// Turns an upstream's error — a response, or an error event in a stream — into the gateway's: always OpenAI's
/// JSON shape (whatever the upstream sent, an HTML page included), with its status and its message, type, param
/// and code where it sent them. An upstream 401 means the gateway's own provider key was refused: the client gets
/// a 502 that says so, never the upstream's text, which may echo that key. Anything else passed on has the
/// provider's key blanked out.
/// </summary>
internal static class UpstreamError
{
    private const int MessageLimit = 4096;

    public static OpenAiError From(string provider, string? secret, int status, ReadOnlySpan<byte> body)
    {
        if (status == StatusCodes.Status401Unauthorized) return GatewayErrors.UpstreamAuthenticationFailed(provider);
        if (status < 400) return GatewayErrors.UpstreamBadResponse(provider);
        var fallbackType = status >= 500 ? "api_error" : "invalid_request_error";
        var (message, type, param, code) = TryRead(body);
        if (message is null)
        {
            return new OpenAiError(status, $"The upstream provider '{provider}' answered HTTP {status} without an error the gateway could read.",
                fallbackType, null, "upstream_error");
        }
        return new OpenAiError(status, Clean(message, secret), Clean(type, secret) ?? fallbackType, Clean(param, secret), Clean(code, secret));
    }

    /// <summary>An error event an upstream sent in the middle of a stream (the status is not sent: the stream began with 200).</summary>
    public static OpenAiError FromEvent(string provider, string? secret, ReadOnlySpan<byte> data)
    {
        var (message, type, param, code) = TryRead(data);
        if (message is null)
            return new OpenAiError(502, $"The upstream provider '{provider}' reported an error it did not describe.", "api_error", null, "upstream_error");
        return new OpenAiError(502, Clean(message, secret), Clean(type, secret) ?? "api_error", Clean(param, secret), Clean(code, secret));
    }

    [return: System.Diagnostics.CodeAnalysis.NotNullIfNotNull(nameof(text))]
    private static string? Clean(string? text, string? secret)
    {
        if (text is null) return null;
        if (!string.IsNullOrEmpty(secret)) text = text.Replace(secret, "[redacted]", StringComparison.Ordinal);
        return text.Length > MessageLimit ? string.Concat(text.AsSpan(0, MessageLimit), "…") : text;
    }

    /// <summary>OpenAI's <c>{"error":{…}}</c>, an <c>{"error":"text"}</c> (Ollama) or a top-level <c>message</c> (vLLM).</summary>
    private static (string? Message, string? Type, string? Param, string? Code) TryRead(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return default;
            if (root.TryGetProperty("error"u8, out var error))
            {
                if (error.ValueKind == JsonValueKind.String) return (error.GetString(), null, null, null);
                if (error.ValueKind == JsonValueKind.Object && Text(error, "message"u8) is { } message)
                    return (message, Text(error, "type"u8), Text(error, "param"u8), Text(error, "code"u8));
                return default;
            }
            return Text(root, "message"u8) is { } topMessage ? (topMessage, Text(root, "type"u8), Text(root, "param"u8), Text(root, "code"u8)) : default;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return default;    // not JSON, or strings that do not decode
        }
    }

    // Codes are strings in OpenAI's errors; some servers send numbers, which keep their text.
    private static string? Text(JsonElement parent, ReadOnlySpan<byte> name) =>
        parent.TryGetProperty(name, out var value) ? value.ValueKind switch
        {
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => null,
        } : null;
}
