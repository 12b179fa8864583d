using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Streaming;

[Collection(GatewayCollection.Name)]
public sealed class StreamingTests(GatewaySuite suite) : GatewaySuiteTests(suite)
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Official_sdk_streams_through_the_gateway_with_usage()
    {
        Upstream.On("stream-basic", x => StreamAnswer(x, "Hel", "lo"));
        var chat = Gateway.Sdk().GetChatClient("stream-basic");

        var text = new StringBuilder();
        ChatTokenUsage? usage = null;
        ChatFinishReason? finish = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            usage ??= update.Usage;
            finish ??= update.FinishReason;
        }

        Assert.Equal("Hello", text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(5, usage.InputTokenCount);
        Assert.Equal(2, usage.OutputTokenCount);
    }

    [Fact]
    public async Task Gateway_asks_upstream_for_usage_even_when_client_did_not()
    {
        Upstream.On("stream-ask-usage", x => StreamAnswer(x, "ok"));
        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions",
            Sse.ChatRequest("stream-ask-usage", extra: ",\"stream_options\":{\"include_obfuscation\":false}"));
        await response.Content.ReadAsStringAsync();

        var sent = Upstream.CallsFor("stream-ask-usage").Single().Json;
        Assert.True(sent.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        // The client's other stream options survive the rewrite.
        Assert.False(sent.GetProperty("stream_options").GetProperty("include_obfuscation").GetBoolean());
    }

    [Fact]
    public async Task Stream_is_relayed_incrementally_not_buffered()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Upstream.On("stream-incremental", async x =>
        {
            await x.StartSse();
            await x.Event(RoleChunk());
            await x.Event(ContentChunk("first"));
            // The rest is sent only after the client has seen "first" through the gateway.
            await gate.Task.WaitAsync(TimeSpan.FromSeconds(30), x.Aborted);
            await x.Event(ContentChunk(" second"));
            await x.Event(FinishChunk());
            await x.Done();
        });
        var chat = Gateway.Sdk().GetChatClient("stream-incremental");
        await using var updates = chat.CompleteChatStreamingAsync([new UserChatMessage("hi")]).GetAsyncEnumerator();

        var text = new StringBuilder();
        while (!text.ToString().Contains("first", StringComparison.Ordinal))
        {
            Assert.True(await updates.MoveNextAsync().AsTask().WaitAsync(Guard), "stream ended before the first chunk");
            foreach (var part in updates.Current.ContentUpdate) text.Append(part.Text);
        }
        Assert.False(gate.Task.IsCompleted);
        gate.SetResult();
        while (await updates.MoveNextAsync().AsTask().WaitAsync(Guard))
        {
            foreach (var part in updates.Current.ContentUpdate) text.Append(part.Text);
        }
        Assert.Equal("first second", text.ToString());
    }

    [Fact]
    public async Task Multibyte_utf8_split_across_tcp_writes_arrives_intact()
    {
        const string chinese = "你好，世界";
        var bytes = Encoding.UTF8.GetBytes($"data: {ContentChunk(chinese)}\n\n");
        var first = Array.IndexOf(bytes, Encoding.UTF8.GetBytes("好")[0]) + 1; // inside 好
        var second = Array.IndexOf(bytes, Encoding.UTF8.GetBytes("界")[0]) + 2; // inside 界
        Upstream.On("stream-utf8", async x =>
        {
            await x.StartSse();
            await x.Event(RoleChunk());
            await x.Raw(bytes[..first]);
            await x.Raw(bytes[first..second]);
            await x.Raw(bytes[second..]);
            await x.Event(FinishChunk());
            await x.Done();
        });

        var text = new StringBuilder();
        await foreach (var update in Gateway.Sdk().GetChatClient("stream-utf8").CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
        }
        Assert.Equal(chinese, text.ToString());

        // On the wire the characters are relayed as the upstream's UTF-8 bytes, not re-encoded.
        using var raw = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", Sse.ChatRequest("stream-utf8"));
        var body = Encoding.UTF8.GetString(await raw.Content.ReadAsByteArrayAsync());
        Assert.Contains(chinese, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Usage_on_a_chunk_with_choices_is_hidden_from_a_client_that_did_not_ask()
    {
        Upstream.On("stream-usage-on-choices", async x =>
        {
            await x.StartSse();
            await x.Event(RoleChunk());
            await x.Event(ContentChunk("a"));
            await x.Event(FinishChunkWithUsage(11, 1));
            await x.Done();
        });
        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", Sse.ChatRequest("stream-usage-on-choices"));
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = Sse.Events(await response.Content.ReadAsStringAsync());

        Assert.Equal("[DONE]", events[^1]);
        Assert.DoesNotContain(events, e => e.Contains("usage", StringComparison.Ordinal));
        // The chunk that carried usage also carried the finish reason: it must still arrive.
        Assert.Equal("stop", Sse.Json(events[^2]).GetProperty("choices")[0].GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Usage_on_a_null_choices_chunk_is_delivered_openai_style_to_a_client_that_asked()
    {
        Upstream.On("stream-usage-null-choices", async x =>
        {
            await x.StartSse();
            await x.Event(RoleChunk());
            await x.Event(ContentChunk("a"));
            await x.Event(FinishChunk());
            await x.Event(NullChoicesUsageChunk(13, 4));
            await x.Done();
        });
        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", Sse.ChatRequest("stream-usage-null-choices", includeUsage: true));
        var events = Sse.Events(await response.Content.ReadAsStringAsync());

        Assert.Equal("[DONE]", events[^1]);
        var usageChunk = Sse.Json(events[^2]);
        Assert.Equal(0, usageChunk.GetProperty("choices").GetArrayLength());
        Assert.Equal(13, usageChunk.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(4, usageChunk.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("chatcmpl-fx", usageChunk.GetProperty("id").GetString());
        Assert.Single(events.Where(e => e != "[DONE]"), Sse.HasNonNullUsage);
    }

    [Fact]
    public async Task Cumulative_usage_is_reported_once_with_the_final_totals()
    {
        Upstream.On("stream-usage-cumulative", async x =>
        {
            await x.StartSse();
            await x.Event(ContentChunkWithUsage("a", 9, 1));
            await x.Event(ContentChunkWithUsage("b", 9, 2));
            await x.Event(FinishChunkWithUsage(9, 3));
            await x.Done();
        });
        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", Sse.ChatRequest("stream-usage-cumulative", includeUsage: true));
        var events = Sse.Events(await response.Content.ReadAsStringAsync());

        var withUsage = Assert.Single(events.Where(e => e != "[DONE]"), Sse.HasNonNullUsage);
        Assert.Equal(3, Sse.Json(withUsage).GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal(0, Sse.Json(withUsage).GetProperty("choices").GetArrayLength());
        var contents = events.Where(e => e != "[DONE]" && !Sse.HasNonNullUsage(e))
            .Select(e => Sse.Json(e).GetProperty("choices")[0].GetProperty("delta"))
            .Where(d => d.TryGetProperty("content", out _)).Select(d => d.GetProperty("content").GetString());
        Assert.Equal(["a", "b"], contents);
    }

    [Fact]
    public async Task Openai_style_usage_chunk_is_dropped_and_null_usage_stripped_for_a_client_that_did_not_ask()
    {
        Upstream.On("stream-openai-usage", async x =>
        {
            await x.StartSse();
            await x.Event(ContentChunkNullUsage("x"));
            await x.Event(FinishChunk());
            await x.Event(UsageChunk(3, 1));
            await x.Done();
        });
        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", Sse.ChatRequest("stream-openai-usage"));
        var events = Sse.Events(await response.Content.ReadAsStringAsync());

        Assert.Equal(3, events.Count);
        Assert.DoesNotContain(events, e => e.Contains("usage", StringComparison.Ordinal));
        Assert.Equal("x", Sse.Json(events[0]).GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString());
    }

    [Fact]
    public async Task Connection_reset_mid_stream_becomes_an_error_event_and_is_not_retried()
    {
        var clientSawPartial = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Upstream.On("stream-reset", async x =>
        {
            await x.StartSse();
            await x.Event(RoleChunk());
            await x.Event(ContentChunk("partial"));
            // Reset only once the bytes provably left: an abort can discard output still in Kestrel's buffers.
            await clientSawPartial.Task.WaitAsync(Guard, x.Aborted);
            x.Reset();
        });
        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", Sse.ChatRequest("stream-reset"), HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var received = new StringBuilder();
        while (!received.ToString().Contains("partial", StringComparison.Ordinal))
            received.AppendLine(await reader.ReadLineAsync().WaitAsync(Guard));
        clientSawPartial.SetResult();
        received.Append(await reader.ReadToEndAsync().WaitAsync(Guard));
        var events = Sse.Events(received.ToString().Replace("\r\n", "\n", StringComparison.Ordinal));

        var error = Sse.Json(events[^1]).GetProperty("error");
        Assert.Equal("upstream_stream_interrupted", error.GetProperty("code").GetString());
        Assert.DoesNotContain("[DONE]", events);
        Assert.Single(Upstream.CallsFor("stream-reset"));
    }

    [Fact]
    public async Task Upstream_going_silent_mid_stream_hits_the_idle_timeout()
    {
        Upstream.On("stall-mid-stream", async x =>
        {
            await x.StartSse();
            await x.Event(RoleChunk());
            await x.Event(ContentChunk("then silence"));
            await x.Stall();
        });
        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", Sse.ChatRequest("stall-mid-stream"));
        var events = Sse.Events(await response.Content.ReadAsStringAsync());

        var error = Sse.Json(events[^1]).GetProperty("error");
        Assert.Equal("upstream_timeout", error.GetProperty("code").GetString());
        Assert.Equal("api_error", error.GetProperty("type").GetString());
        Assert.True(error.TryGetProperty("param", out _));
    }

    [Fact]
    public async Task Client_disconnect_cancels_the_upstream_request()
    {
        Upstream.On("stream-abandoned", async x =>
        {
            await x.StartSse();
            await x.Event(RoleChunk());
            await x.Stall();
        });
        var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", Sse.ChatRequest("stream-abandoned"), HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStreamAsync();
        var firstByte = new byte[1];
        Assert.Equal(1, await body.ReadAsync(firstByte).AsTask().WaitAsync(Guard));
        response.Dispose();

        await Upstream.CallsFor("stream-abandoned").Single().Aborted.WaitAsync(Guard);
    }

    [Fact]
    public async Task Stream_that_dies_before_its_first_event_is_retried()
    {
        Upstream.On("stream-early-death", async x =>
        {
            if (x.CallNumber == 1)
            {
                // 200 and an event-stream content type, then the body ends with no event at all.
                await x.StartSse();
                return;
            }
            await StreamAnswer(x, "second try");
        });
        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", Sse.ChatRequest("stream-early-death"));
        var events = Sse.Events(await response.Content.ReadAsStringAsync());

        Assert.Contains(events, e => e.Contains("second try", StringComparison.Ordinal));
        Assert.Equal("[DONE]", events[^1]);
        Assert.Equal(2, Upstream.CallsFor("stream-early-death").Count);
    }

    [Fact]
    public async Task Chunks_without_usage_pass_through_byte_for_byte()
    {
        var chunk = ContentChunk("exact") [..^1] + ",\"system_fingerprint\":\"fp_x\",\"unknown_field\":{\"a\":[1,2]}}";
        Upstream.On("stream-exact", async x =>
        {
            await x.StartSse();
            await x.Event(chunk);
            await x.Done();
        });
        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", Sse.ChatRequest("stream-exact"));
        var events = Sse.Events(await response.Content.ReadAsStringAsync());
        Assert.Equal([chunk, "[DONE]"], events);
        Assert.True(response.Headers.Contains("x-request-id"));
        _ = JsonDocument.Parse(events[0]);
    }

    [Fact]
    public async Task Clients_leaving_at_every_point_of_a_stream_leave_no_unhandled_errors()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("trickle", async x =>
        {
            await x.StartSse();
            for (var i = 0; i < 20; i++) await x.Event(ContentChunkWithUsage($"piece {i} ", 5, i));
            await x.Stall();
        });
        string dataDirectory;
        var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("Logging:File:Enabled", "true")));
        await using (gateway)
        {
            // Each client leaves after reading a different number of bytes, some while the relay waits on the upstream.
            await Parallel.ForAsync(0, 200, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, cancellation) =>
            {
                var response = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", Sse.ChatRequest("trickle"), HttpCompletionOption.ResponseHeadersRead);
                var body = await response.Content.ReadAsStreamAsync(cancellation);
                var buffer = new byte[1 + i * 17 % 3000];
                await body.ReadAtLeastAsync(buffer, buffer.Length, throwOnEndOfStream: false, cancellation).AsTask().WaitAsync(Guard, cancellation);
                response.Dispose();
            });
            using var health = await gateway.Http.GetAsync("/healthz");
            Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
            dataDirectory = gateway.DataDirectory;
        }
        var log = GatewayHost.ReadLogs(dataDirectory);
        Assert.DoesNotContain("\"event\":2002", log, StringComparison.Ordinal);
        Assert.DoesNotContain("\"level\":\"Error\"", log, StringComparison.Ordinal);
        Assert.DoesNotContain("\"level\":\"Critical\"", log, StringComparison.Ordinal);
        Assert.Equal(200, log.Split('\n').Count(l => l.Contains("\"event\":2000", StringComparison.Ordinal) && l.Contains("\"Model\":\"trickle\"", StringComparison.Ordinal)));
    }
}
