namespace Switchboard.Forwarding;

/// <summary>Writes a complete upstream response to the client: status, the headers that matter to SDKs, body.</summary>
internal static class BufferedRelay
{
    public static Task WriteAsync(HttpResponse response, BufferedResponse upstream, CancellationToken clientAborted)
    {
        response.StatusCode = upstream.Status;
        // The body was checked to be a JSON object, so it is served as one whatever the upstream labelled it.
        response.ContentType = "application/json";
        foreach (var (name, value) in upstream.Headers) response.Headers[name] = value;
        response.ContentLength = upstream.Body.Count;
        return response.Body.WriteAsync(upstream.Body.Written, clientAborted).AsTask();
    }
}
