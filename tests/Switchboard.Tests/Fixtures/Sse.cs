using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Switchboard.Tests.Fixtures;

/// <summary>Raw HTTP access to the gateway, for assertions on exact wire bytes the SDK would hide.</summary>
public static class Sse
{
    public static async Task<HttpResponseMessage> PostAsync(HttpClient http, string path, string json, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "sk-client-key");
        return await http.SendAsync(request, completion);
    }

    public static string ChatRequest(string model, bool includeUsage = false, string extra = "") =>
        $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}],"stream":true{{(includeUsage ? ",\"stream_options\":{\"include_usage\":true}" : "")}}{{extra}}}""";

    /// <summary>The data of every SSE event in a finished stream body, in order; an event's data lines are joined with LF, as SSE defines.</summary>
    public static List<string> Events(string body) =>
        body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Select(e => string.Join('\n', e.Split('\n').Select(line => line.StartsWith("data: ", StringComparison.Ordinal) ? line[6..] : throw new Xunit.Sdk.XunitException($"not a data line: {line}"))))
            .ToList();

    public static JsonElement Json(string data) => JsonDocument.Parse(data).RootElement;

    public static bool HasNonNullUsage(string data) =>
        Json(data).TryGetProperty("usage", out var usage) && usage.ValueKind != JsonValueKind.Null;
}
