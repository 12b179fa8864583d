using System.Text;
using System.Text.Json;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Streaming;

/// <summary>An upstream stream that goes wrong ends, for the client, in an OpenAI error event — never a dropped connection — and its usage is still counted.</summary>
public sealed class StreamFaultTests : IAsyncLifetime
{
    private ScriptedUpstream _upstream = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _upstream = await ScriptedUpstream.StartAsync();
        _gateway = await GatewayHost.StartAsync(_upstream.GatewaySettings(
            ("Providers:up:Retry:MaxRetries", "0"),
            ("Providers:up:CircuitBreaker:FailureThreshold", "1000"),
            ("Providers:short:BaseUrl", _upstream.BaseUrl + "/short/v1"),
            ("Providers:short:Models:0", "endless-*"),
            ("Providers:short:Timeouts:Total", "1500ms"),
            ("Providers:short:Retry:MaxRetries", "0"),
            ("Limits:MaxEventBytes", "65536")));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private async Task<List<string>> StreamAsync(string model, bool includeUsage = false)
    {
        using var response = await Sse.PostAsync(_gateway.Http, "/v1/chat/completions", Sse.ChatRequest(model, includeUsage));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return Sse.Events((await response.Content.ReadAsStringAsync()).Replace("\r\n", "\n", StringComparison.Ordinal));
    }

    private static string ErrorCode(string data) => OpenAiErrors.AssertShape(data).GetProperty("code").GetString()!;

    [Theory]
    [InlineData("not json at all")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"id\":\"truncated\",")]
    public async Task An_event_that_is_not_a_json_object_ends_the_stream_with_an_error_event(string bad)
    {
        var model = $"bad-event-{bad.Length}";
        _upstream.On(model, async x =>
        {
            await x.StartSse();
            await x.Event(ContentChunk("before"));
            await x.Event(bad);
            await x.Event(ContentChunk("after"));
            await x.Done();
        });
        var events = await StreamAsync(model);
        Assert.Contains("before", events[0], StringComparison.Ordinal);
        Assert.Equal("upstream_bad_response", ErrorCode(events[^1]));
        Assert.DoesNotContain(events, e => e.Contains("after", StringComparison.Ordinal) || e == bad);
    }

    [Fact]
    public async Task An_event_with_invalid_utf8_ends_the_stream_with_an_error_event()
    {
        _upstream.On("bad-utf8", async x =>
        {
            await x.StartSse();
            await x.Raw([.. Encoding.UTF8.GetBytes("data: {\"id\":\"x\",\"text\":\""), 0xFF, 0xFE, .. Encoding.UTF8.GetBytes("\"}\n\n")]);
            await x.Done();
        });
        var events = await StreamAsync("bad-utf8");
        Assert.Equal("upstream_bad_response", ErrorCode(events[^1]));
    }

    [Fact]
    public async Task An_event_over_the_size_limit_ends_the_stream_with_an_error_event()
    {
        _upstream.On("huge-event", async x =>
        {
            await x.StartSse();
            await x.Event(ContentChunk("small"));
            await x.Event(ContentChunk(new string('x', 100_000)));
            await x.Done();
        });
        var events = await StreamAsync("huge-event");
        Assert.Contains("small", events[0], StringComparison.Ordinal);
        Assert.Equal("upstream_response_too_large", ErrorCode(events[^1]));
        Assert.Equal(2, events.Count);
    }

    [Fact]
    public async Task A_stream_past_its_total_time_ends_with_a_timeout_event()
    {
        _upstream.On("endless-drip", async x =>
        {
            await x.StartSse();
            await x.Event(ContentChunk("tick"));
            await x.Stall();
        });
        var events = await StreamAsync("endless-drip");
        var error = OpenAiErrors.AssertShape(events[^1]);
        Assert.Equal("upstream_timeout", error.GetProperty("code").GetString());
        Assert.Contains("Timeouts:Total", error.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_upstreams_own_error_event_is_relayed_and_ends_the_stream()
    {
        var upstreamError = Error("The server had an error while processing your request.", "server_error", null);
        _upstream.On("error-event", async x =>
        {
            await x.StartSse();
            await x.Event(ContentChunk("partial"));
            await x.Event(upstreamError);
        });
        var events = await StreamAsync("error-event");
        Assert.Equal([ContentChunk("partial"), upstreamError], events);
    }

    [Fact]
    public async Task Crlf_and_cr_line_ends_comments_and_multi_line_data_are_read_as_sse_defines_them()
    {
        _upstream.On("sse-dialects", async x =>
        {
            await x.StartSse();
            await x.Raw(Encoding.UTF8.GetBytes($": keep-alive\r\n\r\ndata: {ContentChunk("crlf")}\r\n\r\n"));
            await x.Raw(Encoding.UTF8.GetBytes($"data: {ContentChunk("cr")}\r\r"));
            // One event whose data spans two lines: joined with a newline, which JSON allows between tokens.
            var chunk = ContentChunk("multi");
            var split = chunk.IndexOf(",\"choices\"", StringComparison.Ordinal);
            await x.Raw(Encoding.UTF8.GetBytes($"event: message\nid: 7\ndata: {chunk[..split]}\ndata:{chunk[split..]}\n\n"));
            await x.Raw(Encoding.UTF8.GetBytes("data: [DONE]\r\n\r\n"));
        });
        var events = await StreamAsync("sse-dialects");
        var contents = events.Where(e => e != "[DONE]")
            .Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal(["crlf", "cr", "multi"], contents);
        Assert.Equal("[DONE]", events[^1]);
    }

    [Fact]
    public async Task A_usage_chunk_with_a_lone_surrogate_is_relayed_and_its_usage_counted()
    {
        var usageChunk = UsageChunk(12, 3)[..^1] + ",\"system_fingerprint\":\"fp_\\ud800\"}";
        _upstream.On("surrogate-usage", async x =>
        {
            await x.StartSse();
            await x.Event(ContentChunkNullUsage("text \\udfff here"));
            await x.Event(FinishChunk());
            await x.Event(usageChunk);
            await x.Done();
        });
        var events = await StreamAsync("surrogate-usage", includeUsage: true);
        Assert.Equal("[DONE]", events[^1]);
        Assert.Contains("\\udfff", events[0], StringComparison.Ordinal);
        var usage = JsonDocument.Parse(events[^2]).RootElement;
        Assert.Equal(12, usage.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Contains("fp_\\ud800", events[^2], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_error_as_the_first_event_is_an_error_response_not_a_stream()
    {
        _upstream.On("first-event-error", async x =>
        {
            await x.StartSse();
            await x.Event(Error("Rate limit reached for requests", "requests", "rate_limit_exceeded"));
        });
        using var response = await Sse.PostAsync(_gateway.Http, "/v1/chat/completions", Sse.ChatRequest("first-event-error"));
        Assert.Equal(System.Net.HttpStatusCode.BadGateway, response.StatusCode);
        var error = OpenAiErrors.AssertShape(await response.Content.ReadAsStringAsync());
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());
        Assert.Equal("Rate limit reached for requests", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_stream_the_gateway_relays_untouched_is_cut_visibly_when_the_upstream_fails()
    {
        var sent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _upstream.On("image-model", async x =>
        {
            await x.StartSse();
            await x.Event("""{"type":"image_generation.partial_image","b64_json":"AAAA"}""");
            await sent.Task.WaitAsync(TimeSpan.FromSeconds(30), x.Aborted);
            x.Reset();
        });
        using var response = await Sse.PostAsync(_gateway.Http, "/v1/images/generations",
            """{"model":"image-model","prompt":"a fox","stream":true}""", HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStreamAsync();
        Assert.True(await body.ReadAsync(new byte[16]) > 0);
        sent.SetResult();
        // A clean end would look like a complete answer: the client must see the stream break.
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var buffer = new byte[4096];
            while (await body.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30)) > 0) { }
        });
    }
}
