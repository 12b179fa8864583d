namespace Switchboard.Forwarding;

/// <summary>Writes a complete upstream response to the client: status, the headers that matter to SDKs, body.</summary>
internal static class BufferedRelay
{
    // Retry guidance from the upstream must reach the client's SDK when its error is passed through.
    private static readonly string[] PassedHeaders = ["retry-after", "retry-after-ms", "x-should-retry", "openai-processing-ms"];

    public static async Task WriteAsync(HttpResponse response, BufferedResponse upstream, CancellationToken clientAborted)
    {
        response.StatusCode = upstream.Status;
        response.ContentType = upstream.Message.Content.Headers.ContentType?.ToString() ?? "application/json";
        foreach (var name in PassedHeaders)
        {
            if (upstream.Message.Headers.TryGetValues(name, out var values)) response.Headers[name] = values.ToArray();
        }
        response.ContentLength = upstream.Body.WrittenCount;
        await response.Body.WriteAsync(upstream.Body.WrittenMemory, clientAborted);
    }
}
