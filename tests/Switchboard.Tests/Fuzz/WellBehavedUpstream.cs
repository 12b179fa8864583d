using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Fuzz;

/// <summary>An upstream that always answers well, and answers 400 <see cref="MalformedCode"/> when the gateway forwarded a body it cannot use.</summary>
internal sealed class WellBehavedUpstream : IAsyncDisposable
{
    public const string Answer = "hello";
    public const string MalformedCode = "fuzz_forwarded_malformed";
    /// <summary>A model the gateway routes to <see cref="UpstreamName"/>: it must never reach the upstream under this name.</summary>
    public const string RenamedModel = "renamed";
    public const string UpstreamName = "upstream-name";
    private static readonly byte[] StreamBytes = Encoding.UTF8.GetBytes(string.Concat(
        new[] { RoleChunk(), ContentChunk("hel"), ContentChunk("lo"), FinishChunk(), UsageChunk(5, 2), "[DONE]" }.Select(e => $"data: {e}\n\n")));
    private static readonly byte[] CompletionBytes = Encoding.UTF8.GetBytes(OpenAiShapes.Completion(Answer));
    private readonly WebApplication _app;

    private WellBehavedUpstream(WebApplication app, string baseUrl)
    {
        _app = app;
        BaseUrl = baseUrl;
    }

    public string BaseUrl { get; }

    public static async Task<WellBehavedUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.Run(HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new WellBehavedUpstream(app, address.TrimEnd('/'));
    }

    private static async Task HandleAsync(HttpContext context)
    {
        var response = context.Response;
        if (HttpMethods.IsGet(context.Request.Method))
        {
            await response.WriteAsync("""{"object":"list","data":[{"id":"gpt-fuzz","object":"model","created":1700000000,"owned_by":"fuzz"}]}""");
            return;
        }
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body);
        var streamed = context.Request.Headers.Accept.ToString().Contains("text/event-stream", StringComparison.Ordinal);
        if (Forwarded.Problem(body.ToArray(), context.Request.Path.Value ?? "", streamed) is { } problem)
        {
            response.StatusCode = 400;
            response.ContentType = "application/json";
            await response.WriteAsync(JsonSerializer.Serialize(new { error = new { message = problem, type = "invalid_request_error", param = (string?)null, code = MalformedCode } }));
            return;
        }
        response.ContentType = streamed ? "text/event-stream" : "application/json";
        await response.Body.WriteAsync(streamed ? StreamBytes : CompletionBytes);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>What an upstream needs of a forwarded body: one JSON object, one string <c>model</c>, and on a metered stream one <c>stream_options</c> asking for usage.</summary>
internal static class Forwarded
{
    public static string? Problem(byte[] body, string path, bool streamed)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body, new JsonDocumentOptions { MaxDepth = 512 });
        }
        catch (JsonException e)
        {
            return $"the forwarded body is not JSON ({e.Message}): {FuzzWire.Show(body, 300)}";
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return "the forwarded body is not a JSON object";
            var models = root.EnumerateObject().Where(p => Named(p, "model")).ToList();
            if (models.Count != 1 || models[0].Value.ValueKind != JsonValueKind.String)
                return $"the forwarded body has {models.Count} model properties, not one string: {FuzzWire.Show(body, 300)}";
            // The gateway routed the request as some model; the upstream must be told which.
            var model = models[0].Value.GetString();
            if (string.IsNullOrEmpty(model) || model is WellBehavedUpstream.RenamedModel or "dall-e-2")
                return $"the forwarded model is '{model}', not the name the gateway routed it to: {FuzzWire.Show(body, 300)}";
            if (streamed && (path.EndsWith("/chat/completions", StringComparison.Ordinal) || path.EndsWith("/v1/completions", StringComparison.Ordinal)))
            {
                var options = root.EnumerateObject().Where(p => Named(p, "stream_options")).ToList();
                if (options.Count != 1 || options[0].Value.ValueKind != JsonValueKind.Object)
                    return $"a forwarded stream request has {options.Count} stream_options, not one object: {FuzzWire.Show(body, 300)}";
                var usage = options[0].Value.EnumerateObject().Where(p => Named(p, "include_usage")).ToList();
                if (usage.Count != 1 || usage[0].Value.ValueKind != JsonValueKind.True)
                    return $"a forwarded stream request does not ask for usage exactly once: {FuzzWire.Show(body, 300)}";
            }
        }
        return null;
    }

    private static bool Named(JsonProperty property, string name)
    {
        try
        {
            return property.NameEquals(name);
        }
        catch (InvalidOperationException)
        {
            return false;    // a name with an unpaired surrogate escape is no name we look for
        }
    }
}
