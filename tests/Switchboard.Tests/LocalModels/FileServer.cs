using System.Collections.Concurrent;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Switchboard.Tests.LocalModels;

/// <summary>
/// A download server on 127.0.0.1 that behaves like Hugging Face where it matters: <c>/{repo}/resolve/main/{file}</c>
/// redirects to <c>/cdn/{file}</c> with the file's SHA-256 in <c>X-Linked-ETag</c>; byte ranges are honoured; and it
/// can break the connection part-way through the first download, or announce a wrong checksum.
/// </summary>
internal sealed class FileServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FileServer(WebApplication app, byte[] content)
    {
        _app = app;
        Content = content;
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(content));
    }

    public byte[] Content { get; }
    public string Sha256 { get; }
    public string BaseUrl { get; private set; } = "";

    /// <summary>Every request's path and Range header, in order.</summary>
    public ConcurrentQueue<(string Path, string? Range)> Requests { get; } = new();

    /// <summary>Break the connection after this many bytes of the first body sent.</summary>
    public long? DropFirstAfter { get; set; }

    /// <summary>The checksum to announce instead of the real one.</summary>
    public string? AnnouncedSha256 { get; set; }

    public static async Task<FileServer> StartAsync(int size)
    {
        var content = new byte[size];
        new Random(20261201).NextBytes(content);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new FileServer(app, content);
        var dropped = 0;
        app.MapGet("/{**path}", async context =>
        {
            var path = context.Request.Path.Value!;
            server.Requests.Enqueue((path, context.Request.Headers.Range.FirstOrDefault()));
            if (path.Contains("/resolve/main/", StringComparison.Ordinal))
            {
                context.Response.Headers["X-Linked-ETag"] = $"\"{server.AnnouncedSha256 ?? server.Sha256}\"";
                context.Response.Redirect($"/cdn/{path[(path.LastIndexOf('/') + 1)..]}");
                return;
            }
            if (!path.EndsWith("model.gguf", StringComparison.Ordinal) && !path.StartsWith("/cdn/", StringComparison.Ordinal))
            {
                context.Response.StatusCode = 404;
                return;
            }
            if (!path.StartsWith("/cdn/", StringComparison.Ordinal))
                context.Response.Headers["X-Linked-ETag"] = $"\"{server.AnnouncedSha256 ?? server.Sha256}\"";
            long start = 0;
            if (context.Request.Headers.Range.FirstOrDefault() is { } range && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
            {
                start = long.Parse(range["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
                if (start >= content.Length)
                {
                    context.Response.StatusCode = 416;
                    context.Response.Headers.ContentRange = $"bytes */{content.Length}";
                    return;
                }
                context.Response.StatusCode = 206;
                context.Response.Headers.ContentRange = $"bytes {start}-{content.Length - 1}/{content.Length}";
            }
            context.Response.ContentLength = content.Length - start;
            var body = content.AsMemory((int)start);
            if (server.DropFirstAfter is { } cut && Interlocked.Exchange(ref dropped, 1) == 0)
            {
                await context.Response.Body.WriteAsync(body[..(int)cut]);
                await context.Response.Body.FlushAsync();
                context.Abort();
                return;
            }
            await context.Response.Body.WriteAsync(body);
        });
        await app.StartAsync();
        server.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return server;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
