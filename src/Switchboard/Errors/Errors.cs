namespace Switchboard.Errors;

/// <summary>The errors the gateway itself detects, each with OpenAI's status, type and code.</summary>
internal static class GatewayErrors
{
    public static OpenAiError InvalidJson(string detail) => new(400,
        $"We could not parse the JSON body of your request ({detail}). Send a valid JSON object with Content-Type: application/json.",
        "invalid_request_error") { ShouldRetry = false };

    public static OpenAiError BodyNotObject() => new(400,
        "The request body must be a JSON object.", "invalid_request_error") { ShouldRetry = false };

    public static OpenAiError MissingParameter(string name) => new(400,
        $"Missing required parameter: '{name}'.", "invalid_request_error", name, "missing_required_parameter") { ShouldRetry = false };

    public static OpenAiError InvalidType(string name, string expected) => new(400,
        $"Invalid type for '{name}': expected {expected}.", "invalid_request_error", name, "invalid_type") { ShouldRetry = false };

    public static OpenAiError ModelNotFound(string model) => new(404,
        $"The model `{model}` does not exist or you do not have access to it.", "invalid_request_error", "model", "model_not_found") { ShouldRetry = false };

    public static OpenAiError BodyTooLarge(long limit) => new(413,
        $"The request body exceeds the limit of {limit} bytes. Send a smaller request or raise Switchboard:MaxRequestBodyBytes.",
        "invalid_request_error", null, "request_too_large") { ShouldRetry = false };

    public static OpenAiError InvalidApiKey() => new(401,
        "Incorrect API key provided. Pass your Switchboard key as 'Authorization: Bearer <key>'.",
        "invalid_request_error", null, "invalid_api_key") { ShouldRetry = false };

    public static OpenAiError UnknownRoute(string method, string path) => new(404,
        $"Invalid URL ({method} {path}).", "invalid_request_error") { ShouldRetry = false };

    public static OpenAiError UpstreamUnreachable(string provider) => new(502,
        $"The upstream provider '{provider}' could not be reached. Try again later; if it persists, check the provider's BaseUrl and network.",
        "api_error", null, "upstream_unreachable");

    public static OpenAiError UpstreamTimeout(string provider, string phase) => new(504,
        $"The upstream provider '{provider}' timed out waiting for the {phase}. Try again, or raise the provider's Timeouts setting.",
        "api_error", null, "upstream_timeout");

    public static OpenAiError UpstreamStreamBroken(string provider) => new(502,
        $"The upstream provider '{provider}' closed the stream before it finished. The response is incomplete; retry the request.",
        "api_error", null, "upstream_stream_interrupted");

    public static OpenAiError UpstreamBadResponse(string provider) => new(502,
        $"The upstream provider '{provider}' sent a response the gateway could not read.",
        "api_error", null, "upstream_bad_response");

    public static OpenAiError AllProvidersOpen(string model, int retryAfterSeconds) => new(503,
        $"Every provider for model `{model}` is failing and temporarily taken out of rotation. Retry after {retryAfterSeconds}s.",
        "api_error", null, "upstream_unavailable") { RetryAfterSeconds = retryAfterSeconds };

    public static OpenAiError Internal() => new(500,
        "The gateway had an internal error while processing your request. Retry; if it persists, report the x-request-id.",
        "api_error", null, "internal_error");
}
