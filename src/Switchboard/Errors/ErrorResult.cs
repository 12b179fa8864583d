using System.Globalization;

namespace Switchboard.Errors;

/// <summary>Writes an <see cref="OpenAiError"/> as the HTTP response, with the retry headers the official SDKs read.</summary>
internal sealed class ErrorResult(OpenAiError error) : IResult
{
    public OpenAiError Error { get; } = error;

    public Task ExecuteAsync(HttpContext httpContext) => WriteAsync(httpContext.Response, Error);

    public static Task WriteAsync(HttpResponse response, OpenAiError error)
    {
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        foreach (var (name, value) in error.Headers) response.Headers[name] = value;
        if (error.ShouldRetry is bool retry)
            response.Headers["x-should-retry"] = retry ? "true" : "false";
        if (error.RetryAfterSeconds is int seconds)
            response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var body = error.ToJsonBytes();
        response.ContentLength = body.Length;
        return response.Body.WriteAsync(body).AsTask();
    }
}
