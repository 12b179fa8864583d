using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.Tests.Fixtures;

/// <summary>One request the upstream received.</summary>
public sealed record RecordedCall(string Path, string Query, string Body, IHeaderDictionary Headers, long Timestamp, Task Aborted)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>
/// A real HTTP upstream on 127.0.0.1 that plays a script per model name: stream chunk by chunk, split
/// UTF-8 across writes, fail with a status, reset the connection, stall. It records what it was sent.
/// </summary>
public sealed class ScriptedUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, Func<UpstreamExchange, Task>> _scripts = new();
    private readonly ConcurrentDictionary<string, ConcurrentQueue<RecordedCall>> _calls = new();

    private ScriptedUpstream(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";
    public List<string> ListedModels { get; } = [];

    /// <summary>Every request's path and Authorization header, whatever it asked for.</summary>
    public ConcurrentQueue<(string Path, string Authorization)> Requests { get; } = new();

    public static async Task<ScriptedUpstream> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var upstream = new ScriptedUpstream(app);
        app.Run(upstream.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        upstream.BaseUrl = address.TrimEnd('/');
        return upstream;
    }

    public void On(string model, Func<UpstreamExchange, Task> script) => _scripts[model] = script;

    /// <summary>Gateway settings with this upstream as provider <c>up</c> serving every model, plus <paramref name="more"/> (keys without the <c>Switchboard:</c> prefix).</summary>
    public Dictionary<string, string?> GatewaySettings(params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Providers:up:BaseUrl"] = BaseUrl + "/v1",
            ["Switchboard:Providers:up:Models:0"] = "*",
        };
        foreach (var (key, value) in more) settings["Switchboard:" + key] = value;
        return settings;
    }

    public IReadOnlyList<RecordedCall> CallsFor(string model) =>
        _calls.TryGetValue(model, out var calls) ? calls.ToList() : [];

    private async Task HandleAsync(HttpContext context)
    {
        Requests.Enqueue((context.Request.Path.Value ?? "", context.Request.Headers.Authorization.ToString()));
        if (context.Request.Method == "GET" && context.Request.Path.Value!.EndsWith("/models", StringComparison.Ordinal))
        {
            var data = string.Join(",", ListedModels.Select(m => $"{{\"id\":\"{m}\",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"fixture\"}}"));
            await context.Response.WriteAsync($"{{\"object\":\"list\",\"data\":[{data}]}}");
            return;
        }
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync();
        string model;
        try
        {
            model = JsonDocument.Parse(body).RootElement.GetProperty("model").GetString() ?? "";
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException)
        {
            context.Response.StatusCode = 418;
            return;
        }
        var aborted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        context.RequestAborted.Register(() => aborted.TrySetResult());
        var queue = _calls.GetOrAdd(model, _ => new ConcurrentQueue<RecordedCall>());
        queue.Enqueue(new RecordedCall(context.Request.Path, context.Request.QueryString.Value ?? "", body,
            new HeaderDictionary(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value)), Stopwatch.GetTimestamp(), aborted.Task));
        if (!_scripts.TryGetValue(model, out var script))
        {
            context.Response.StatusCode = 404;
            await context.Response.WriteAsync($"{{\"error\":{{\"message\":\"fixture has no script for {model}\",\"type\":\"invalid_request_error\",\"param\":null,\"code\":\"model_not_found\"}}}}");
            return;
        }
        try
        {
            await script(new UpstreamExchange(context, model, queue.Count));
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The gateway went away mid-script: exactly what some tests provoke.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>What a script can do with the request it is answering.</summary>
public sealed class UpstreamExchange(HttpContext context, string model, int callNumber)
{
    public HttpContext Context { get; } = context;
    public string Model { get; } = model;
    /// <summary>1 for the first call for this model, 2 for the next, …</summary>
    public int CallNumber { get; } = callNumber;
    public CancellationToken Aborted => Context.RequestAborted;

    public async Task Json(int status, string json, params (string Name, string Value)[] headers)
    {
        Context.Response.StatusCode = status;
        Context.Response.ContentType = "application/json";
        foreach (var (name, value) in headers) Context.Response.Headers[name] = value;
        await Context.Response.WriteAsync(json, Aborted);
    }

    public async Task StartSse()
    {
        Context.Response.StatusCode = 200;
        Context.Response.ContentType = "text/event-stream";
        await Context.Response.Body.FlushAsync(Aborted);
    }

    public Task Event(string data) => Raw(Encoding.UTF8.GetBytes($"data: {data}\n\n"));

    public async Task Raw(byte[] bytes)
    {
        await Context.Response.Body.WriteAsync(bytes, Aborted);
        await Context.Response.Body.FlushAsync(Aborted);
    }

    public Task Done() => Event("[DONE]");

    /// <summary>Drops the TCP connection without finishing the response.</summary>
    public void Reset() => Context.Abort();

    /// <summary>Holds the request open, sending nothing, until the gateway gives up on it.</summary>
    public async Task Stall()
    {
        try { await Task.Delay(Timeout.Infinite, Aborted); }
        catch (OperationCanceledException) { }
    }
}
