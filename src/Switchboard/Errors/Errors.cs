using Switchboard.Admission;

namespace Switchboard.Errors;

/// <summary>The errors the gateway itself detects, each with OpenAI's status, type and code.</summary>
internal static class GatewayErrors
{
    private const int EchoLimit = 256;

    public static OpenAiError InvalidJson(string detail) => new(400,
        $"We could not parse the JSON body of your request ({detail}). Send a valid JSON object with Content-Type: application/json.",
        "invalid_request_error") { ShouldRetry = false };

    public static OpenAiError InvalidUtf8() => new(400,
        "The request body is not valid UTF-8. Send JSON encoded as UTF-8.", "invalid_request_error") { ShouldRetry = false };

    public static OpenAiError BodyNotObject() => new(400,
        "The request body must be a JSON object.", "invalid_request_error") { ShouldRetry = false };

    public static OpenAiError MissingParameter(string name) => new(400,
        $"Missing required parameter: '{name}'.", "invalid_request_error", name, "missing_required_parameter") { ShouldRetry = false };

    public static OpenAiError InvalidType(string name, string expected) => new(400,
        $"Invalid type for '{name}': expected {expected}.", "invalid_request_error", name, "invalid_type") { ShouldRetry = false };

    public static OpenAiError InvalidValue(string name, string problem) => new(400,
        $"Invalid value for '{name}': {problem}", "invalid_request_error", name, "invalid_value") { ShouldRetry = false };

    public static OpenAiError DuplicateParameter(string name) => new(400,
        $"The parameter '{name}' appears more than once in the request body. Send it once.", "invalid_request_error", name, "duplicate_parameter") { ShouldRetry = false };

    public static OpenAiError ModelNotFound(string model) => new(404,
        $"The model `{Echo(model)}` does not exist or you do not have access to it.", "invalid_request_error", "model", "model_not_found") { ShouldRetry = false };

    public static OpenAiError BodyTooLarge(long limit) => new(413,
        $"The request body exceeds the limit of {limit} bytes. Send a smaller request or raise Switchboard:Limits:MaxRequestBodyBytes.",
        "invalid_request_error", null, "request_too_large") { ShouldRetry = false };

    public static OpenAiError RequestTimeout() => new(408,
        "The request body did not arrive in time: the client sent it too slowly or stopped sending it.",
        "invalid_request_error", null, "request_timeout");

    public static OpenAiError UnsupportedMediaType(string? contentType) => new(415,
        $"Unsupported Content-Type {(string.IsNullOrEmpty(contentType) ? "(none)" : $"'{Echo(contentType)}'")}: send the body as JSON with Content-Type: application/json.",
        "invalid_request_error", null, "unsupported_media_type") { ShouldRetry = false };

    public static OpenAiError UnsupportedEncoding(string encoding) => new(415,
        $"Unsupported Content-Encoding '{Echo(encoding)}': send the body uncompressed or as gzip, deflate or br.",
        "invalid_request_error", null, "unsupported_content_encoding") { ShouldRetry = false };

    public static OpenAiError InvalidEncodedBody(string encoding) => new(400,
        $"The request body is not valid {encoding} data, as its Content-Encoding says it is.", "invalid_request_error") { ShouldRetry = false };

    public static OpenAiError UnreadableBody(string detail) => new(400,
        $"The request body could not be read ({detail}).", "invalid_request_error") { ShouldRetry = false };

    public static OpenAiError UnexpectedStreaming(string provider, bool sentStream) => new(502, sentStream
            ? $"The upstream provider '{provider}' answered with an event stream to a request that did not ask for one."
            : $"The upstream provider '{provider}' does not stream: it answered a streaming request with a complete response.",
        "api_error", null, "upstream_bad_response");

    /// <summary>A client request Kestrel itself refused while the body was read.</summary>
    public static OpenAiError FromBadRequest(BadHttpRequestException e, long bodyLimit) => e.StatusCode switch
    {
        StatusCodes.Status413PayloadTooLarge => BodyTooLarge(bodyLimit),
        StatusCodes.Status408RequestTimeout => RequestTimeout(),
        _ => new OpenAiError(e.StatusCode is >= 400 and < 500 ? e.StatusCode : 400, $"The request could not be read: {e.Message}", "invalid_request_error") { ShouldRetry = false },
    };

    public static OpenAiError InvalidApiKey() => new(401,
        "Incorrect API key provided. Pass your Switchboard key as 'Authorization: Bearer <key>'.",
        "invalid_request_error", null, "invalid_api_key") { ShouldRetry = false };

    public static OpenAiError AdminKeyRequired() => new(403,
        "This endpoint needs an admin key (or the master key); project keys cannot manage the organization.",
        "invalid_request_error", null, "insufficient_permissions") { ShouldRetry = false };

    public static OpenAiError ModelNotAllowed(string model) => new(403,
        $"This key may not use the model '{model}'; the models it may use are set on the key (allowed_models).",
        "invalid_request_error", "model", "model_not_allowed") { ShouldRetry = false };

    public static OpenAiError NotFound(string what, string id, string param) => new(404,
        $"No {what} found with id '{id}'.", "invalid_request_error", param, "not_found") { ShouldRetry = false };

    public static OpenAiError OriginNotAllowed(string origin) => new(403,
        $"Requests from the web origin '{Echo(origin)}' are not allowed. An operator can allow it with Switchboard:Cors:AllowedOrigins.",
        "invalid_request_error", null, "origin_not_allowed") { ShouldRetry = false };

    public static OpenAiError HostNotAllowed(string host) => new(403,
        $"The Host '{Echo(host)}' is not one this gateway answers to without an API key. Use 127.0.0.1 or localhost, or an operator can add it to Switchboard:AllowedHosts.",
        "invalid_request_error", null, "host_not_allowed") { ShouldRetry = false };

    public static OpenAiError UnknownRoute(string method, string path) => new(404,
        $"Invalid URL ({Echo(method)} {Echo(path)}).", "invalid_request_error") { ShouldRetry = false };

    public static OpenAiError MethodNotAllowed(string method, string path, string allowed) => new(405,
        $"Method {Echo(method)} is not allowed for {Echo(path)}; use {allowed}.", "invalid_request_error", null, "method_not_allowed") { ShouldRetry = false, Headers = [new("Allow", allowed)] };

    /// <summary>OpenAI's 429 for a rate limit: <paramref name="kind"/> is <c>requests</c> or <c>tokens</c>, the type as OpenAI sends it.</summary>
    public static OpenAiError RateLimited(string model, string project, string limitName, long limit, long used, long requested, TimeSpan retryAfter,
        string kind) => new(429,
        $"Rate limit reached for {Echo(model)} in project {project} on {limitName}: Limit {limit}, Used {used}, Requested {requested}. " +
        $"Please try again in {RateLimitDuration.Format(retryAfter)}.", kind, null, "rate_limit_exceeded")
    {
        RetryAfterSeconds = (int)Math.Ceiling(Math.Max(1, retryAfter.TotalSeconds)),
        Headers = [new("retry-after-ms", ((long)Math.Ceiling(retryAfter.TotalMilliseconds)).ToString(System.Globalization.CultureInfo.InvariantCulture))],
    };

    public static OpenAiError TooManyConcurrent(string keyId, int limit) => new(429,
        $"Too many concurrent requests for key {keyId}: limit {limit}. Retry when one of them has finished.", "requests", null, "rate_limit_exceeded")
    {
        RetryAfterSeconds = 1,
    };

    public static OpenAiError InputFlagged(IReadOnlyList<string> categories) => new(400,
        $"The input was flagged by moderation ({string.Join(", ", categories)}) and was not sent to the model.", "invalid_request_error", null, "input_flagged")
    {
        ShouldRetry = false,
    };

    public static OpenAiError InputNotCheckable() => new(400,
        "This key accepts only input that moderation can check, and this request holds content other than text (token ids, images or audio).",
        "invalid_request_error", "messages", "input_not_checkable") { ShouldRetry = false };

    public static OpenAiError ModerationUnavailable(string model, string problem) => new(503,
        $"The input could not be checked with the moderation model `{Echo(model)}`, which this key requires: {problem}", "api_error", null, "moderation_unavailable")
    {
        RetryAfterSeconds = 1,
    };

    /// <summary>OpenAI's 429 when the money is used up: no retry helps until an operator raises the limit or adds credit.</summary>
    public static OpenAiError InsufficientQuota(string reason) => new(429,
        $"You exceeded your current quota, please check your plan and billing details. ({reason})", "insufficient_quota", null, "insufficient_quota")
    {
        ShouldRetry = false,
    };

    public static OpenAiError Overloaded() => new(503,
        "The gateway is holding as many request and response bytes as it is configured to (Switchboard:Limits:MaxBufferedBytes). Retry shortly.",
        "server_error", null, "server_overloaded") { RetryAfterSeconds = 1 };

    public static OpenAiError UpstreamUnreachable(string provider) => new(502,
        $"The upstream provider '{provider}' could not be reached. Try again later; if it persists, check the provider's BaseUrl and network.",
        "api_error", null, "upstream_unreachable");

    public static OpenAiError UpstreamClosedEarly(string provider) => new(502,
        $"The upstream provider '{provider}' closed the connection without a valid answer. Try again later; if it persists, check the provider.",
        "api_error", null, "upstream_connection_closed");

    public static OpenAiError UpstreamTimeout(string provider, string phase) => new(504,
        $"The upstream provider '{provider}' timed out waiting for the {phase}. Try again, or raise the provider's Timeouts setting.",
        "api_error", null, "upstream_timeout");

    public static OpenAiError UpstreamStreamBroken(string provider) => new(502,
        $"The upstream provider '{provider}' closed the stream before it finished. The response is incomplete; retry the request.",
        "api_error", null, "upstream_stream_interrupted");

    public static OpenAiError UpstreamBadResponse(string provider) => new(502,
        $"The upstream provider '{provider}' sent a response the gateway could not read.",
        "api_error", null, "upstream_bad_response");

    public static OpenAiError UpstreamBadEvent(string provider) => new(502,
        $"The upstream provider '{provider}' sent a stream event that is not a JSON object; the stream was ended there.",
        "api_error", null, "upstream_bad_response");

    public static OpenAiError UpstreamEventTooLarge(string provider) => new(502,
        $"The upstream provider '{provider}' sent a stream event larger than Switchboard:Limits:MaxEventBytes; the stream was ended there.",
        "api_error", null, "upstream_response_too_large");

    public static OpenAiError UpstreamResponseTooLarge(string provider, long limit) => new(502,
        $"The upstream provider '{provider}' sent a response larger than {limit} bytes (Switchboard:Limits:MaxResponseBodyBytes).",
        "api_error", null, "upstream_response_too_large") { ShouldRetry = false };

    public static OpenAiError UpstreamAuthenticationFailed(string provider) => new(502,
        $"The upstream provider '{provider}' rejected the gateway's credentials. This is a gateway configuration problem: an operator must fix the provider's ApiKey.",
        "api_error", null, "upstream_authentication_failed") { ShouldRetry = false };

    public static OpenAiError AllProvidersOpen(string model, int retryAfterSeconds) => new(503,
        $"Every provider for model `{Echo(model)}` is failing and temporarily taken out of rotation. Retry after {retryAfterSeconds}s.",
        "api_error", null, "upstream_unavailable") { RetryAfterSeconds = retryAfterSeconds };

    public static OpenAiError LocalModelUnavailable(string model, string problem) => new(502,
        $"The local model '{Echo(model)}' could not be loaded: {problem}", "api_error", null, "local_model_unavailable");

    public static OpenAiError LocalBusy(int running, int waiting) => new(429,
        $"The local models are busy ({running} generating, {waiting} waiting; Switchboard:Local:MaxConcurrentSequences and MaxQueuedRequests). Retry shortly.",
        "requests", null, "rate_limit_exceeded") { RetryAfterSeconds = 1 };

    public static OpenAiError ContextLengthExceeded(int context, int prompt, int completion, bool chat) => new(400,
        $"This model's maximum context length is {context} tokens. However, you requested {prompt + completion} tokens ({prompt} in the {(chat ? "messages" : "prompt")}, {completion} in the completion). Please reduce the length of the {(chat ? "messages" : "prompt")} or completion.",
        "invalid_request_error", chat ? "messages" : "prompt", "context_length_exceeded") { ShouldRetry = false };

    public static OpenAiError Internal() => new(500,
        "The gateway had an internal error while processing your request. Retry; if it persists, report the x-request-id.",
        "api_error", null, "internal_error");

    /// <summary>A client-supplied value as it may appear in a message: bounded, so a huge value is not echoed back whole.</summary>
    private static string Echo(string value) => value.Length <= EchoLimit ? value : string.Concat(value.AsSpan(0, EchoLimit), "…");
}
