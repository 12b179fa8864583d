using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Requests;

/// <summary>How a request body is read: size limits with and without a declared length, Content-Encoding, slow senders, the buffer budget.</summary>
public sealed class RequestBodyTests : IAsyncLifetime
{
    private const int Limit = 64 * 1024;
    private ScriptedUpstream _upstream = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _upstream = await ScriptedUpstream.StartAsync();
        _upstream.On("body-model", x => x.Json(200, Completion("ok")));
        _gateway = await GatewayHost.StartAsync(_upstream.GatewaySettings(
            ("Limits:MaxRequestBodyBytes", Limit.ToString()),
            ("Limits:MinRequestBodyBytesPerSecond", "100"),
            ("Limits:RequestBodyGracePeriod", "2s")));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private static string Chat(int contentLength) =>
        $$"""{"model":"body-model","messages":[{"role":"user","content":"{{new string('x', contentLength)}}"}]}""";

    private async Task<(HttpStatusCode Status, string Body)> PostAsync(HttpContent content)
    {
        content.Headers.ContentType ??= new("application/json");
        using var response = await _gateway.Http.PostAsync("/v1/chat/completions", content);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>A body of unknown length (chunked), so only counting what arrives can catch it.</summary>
    private sealed class ChunkedContent(byte[] bytes) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => stream.WriteAsync(bytes).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }

    private static byte[] Compress(string encoding, byte[] data)
    {
        using var output = new MemoryStream();
        using (Stream compressor = encoding switch
        {
            "gzip" => new GZipStream(output, CompressionLevel.Fastest),
            "deflate" => new ZLibStream(output, CompressionLevel.Fastest),
            _ => new BrotliStream(output, CompressionLevel.Fastest),
        })
        {
            compressor.Write(data);
        }
        return output.ToArray();
    }

    [Fact]
    public async Task A_body_of_unknown_length_over_the_limit_is_a_413()
    {
        var (status, body) = await PostAsync(new ChunkedContent(Encoding.UTF8.GetBytes(Chat(Limit))));
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("request_too_large", OpenAiErrors.AssertShape(body).GetProperty("code").GetString());

        var (fits, _) = await PostAsync(new ChunkedContent(Encoding.UTF8.GetBytes(Chat(Limit - 200))));
        Assert.Equal(HttpStatusCode.OK, fits);
    }

    [Theory]
    [InlineData("gzip")]
    [InlineData("deflate")]
    [InlineData("br")]
    public async Task Compressed_bodies_are_decoded_and_forwarded_as_plain_json(string encoding)
    {
        var json = Chat(1000).Replace("body-model", $"body-{encoding}", StringComparison.Ordinal);
        _upstream.On($"body-{encoding}", x => x.Json(200, Completion("decoded")));
        var content = new ByteArrayContent(Compress(encoding, Encoding.UTF8.GetBytes(json)));
        content.Headers.ContentEncoding.Add(encoding);

        var (status, body) = await PostAsync(content);

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains("decoded", body, StringComparison.Ordinal);
        var call = _upstream.CallsFor($"body-{encoding}").Single();
        Assert.Equal(json, call.Body);
        Assert.False(call.Headers.ContainsKey("Content-Encoding"));
    }

    [Fact]
    public async Task A_compressed_body_that_decodes_past_the_limit_is_a_413()
    {
        // 2 KB on the wire, well over the limit once decoded: only the decoded size can be held to the limit.
        var bomb = Compress("gzip", Encoding.UTF8.GetBytes(Chat(40 * Limit)));
        Assert.True(bomb.Length < Limit, $"{bomb.Length} bytes on the wire");
        var content = new ByteArrayContent(bomb);
        content.Headers.ContentEncoding.Add("gzip");
        var (status, body) = await PostAsync(content);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, status);
        Assert.Equal("request_too_large", OpenAiErrors.AssertShape(body).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_plain_body_labelled_gzip_is_a_400_and_unknown_codings_are_415()
    {
        var plain = new StringContent(Chat(10), Encoding.UTF8, "application/json");
        plain.Headers.ContentEncoding.Add("gzip");
        var (status, body) = await PostAsync(plain);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("gzip", OpenAiErrors.AssertShape(body).GetProperty("message").GetString(), StringComparison.Ordinal);

        var zstd = new StringContent(Chat(10), Encoding.UTF8, "application/json");
        zstd.Headers.ContentEncoding.Add("zstd");
        (status, body) = await PostAsync(zstd);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
        Assert.Equal("unsupported_content_encoding", OpenAiErrors.AssertShape(body).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_body_that_stops_arriving_is_a_408()
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, new Uri(_gateway.BaseUrl).Port);
        var stream = client.GetStream();
        var head = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"model\":";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(head));
        // Nothing more is sent: the gateway's minimum body data rate must end the wait.
        using var reader = new StreamReader(stream);
        var status = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("HTTP/1.1 408", status, StringComparison.Ordinal);
        var response = await reader.ReadToEndAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Contains("request_timeout", response, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bodies_past_the_buffer_budget_get_a_retryable_503_and_succeed_once_memory_is_free()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        upstream.On("holding", async x =>
        {
            arrived.TrySetResult();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(30), x.Aborted);
            await x.Json(200, Completion("held"));
        });
        upstream.On("second", x => x.Json(200, Completion("second")));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(
            ("Limits:MaxBufferedBytes", (1024 * 1024).ToString()),
            ("Limits:MaxRequestBodyBytes", (1024 * 1024).ToString()),
            ("Limits:MaxEventBytes", (64 * 1024).ToString())));
        var big = 600 * 1024;

        var first = Sse.PostAsync(gateway.Http, "/v1/chat/completions", Chat(big).Replace("body-model", "holding", StringComparison.Ordinal));
        await arrived.Task.WaitAsync(TimeSpan.FromSeconds(30));
        using (var refused = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", Chat(big).Replace("body-model", "second", StringComparison.Ordinal)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Equal("server_overloaded", OpenAiErrors.AssertShape(await refused.Content.ReadAsStringAsync()).GetProperty("code").GetString());
            Assert.Equal("1", refused.Headers.GetValues("retry-after").Single());
        }
        Assert.Empty(upstream.CallsFor("second"));

        release.SetResult();
        using (var held = await first) Assert.Equal(HttpStatusCode.OK, held.StatusCode);
        using var retried = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", Chat(big).Replace("body-model", "second", StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
    }
}
