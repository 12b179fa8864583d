using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Threading.Channels;
using Switchboard.Tests.Fixtures;
using Xunit.Abstractions;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Memory;

/// <summary>
/// Alone, after every other test: the gateway's peak RSS is the measurement, and another test's load in the same
/// machine would blur it, while these transfers of hundreds of megabytes would slow everything around them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryCollection
{
    public const string Name = "memory";
}

/// <summary>
/// The gateway's own memory, measured on <c>switchboard serve</c> in a process of its own (peak RSS from <c>/proc</c>),
/// while a client or an upstream misbehaves in ways that once made it grow by gigabytes. Each bound is a few
/// times what the gateway needs now and a small fraction of what it used to take.
/// </summary>
[Collection(MemoryCollection.Name)]
public sealed class MemoryBoundTests(ITestOutputHelper output)
{
    private const long MiB = 1024 * 1024;
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(30);

    [LinuxFact]
    public async Task A_client_that_does_not_read_slows_the_upstream_instead_of_filling_memory()
    {
        const long UpstreamTotal = 256 * MiB;
        var batch = Batch(Encoding.UTF8.GetBytes($"data: {ContentChunk(new string('a', 4000))}\n\n"), 16);
        long written = 0;
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var finished = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("warm", x => StreamAnswer(x, "hello"));
        upstream.On("fast-stream", async x =>
        {
            await x.StartSse();
            var body = x.Context.Response.Body;
            while (Interlocked.Read(ref written) < UpstreamTotal)
            {
                x.Aborted.ThrowIfCancellationRequested();
                var write = body.WriteAsync(batch, x.Aborted).AsTask();
                try
                {
                    // A write still pending after a second means the gateway has stopped reading: that is the state
                    // under test, detected here rather than waited for with a fixed sleep in the test.
                    await write.WaitAsync(TimeSpan.FromSeconds(1));
                }
                catch (TimeoutException)
                {
                    blocked.TrySetResult();
                }
                await write;
                Interlocked.Add(ref written, batch.Length);
            }
            finished.TrySetResult();
        });
        await using var gateway = await StartGatewayAsync(upstream.BaseUrl);
        using var http = Client(gateway);
        await WarmUpAsync(http, """{"model":"warm","messages":[{"role":"user","content":"hi"}],"stream":true}""");
        var before = gateway.Memory();

        var response = await PostAsync(http, """{"model":"fast-stream","messages":[{"role":"user","content":"hi"}],"stream":true}""", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var stream = await response.Content.ReadAsStreamAsync();
        Assert.True(await stream.ReadAsync(new byte[64]).AsTask().WaitAsync(Guard) > 0);
        // From here on the client reads nothing more.
        var state = await Task.WhenAny(blocked.Task, finished.Task).WaitAsync(TimeSpan.FromSeconds(60));

        var after = gateway.Memory();
        var sent = Interlocked.Read(ref written);
        Report("slow client", before, after, $"upstream wrote {sent / MiB} MiB of {UpstreamTotal / MiB} MiB");
        Assert.False(state == finished.Task, "the gateway read the whole upstream while the client read nothing");
        // Kernel socket buffers (client, gateway, upstream) hold what the upstream got out, a few MiB each way.
        Assert.True(sent < 64 * MiB, $"the upstream wrote {sent} bytes to a client that read 64");
        // What one stream holds is the response pipe and one event: the gateway grows by 1-3 MiB here. The old relay
        // read the upstream as fast as it came (76 MB → 2.5 GB of RSS in 12 s); without the awaited flush, +280 MiB.
        AssertGrowthBelow(64 * MiB, before, after);

        var call = upstream.CallsFor("fast-stream").Single();
        Assert.False(call.Aborted.IsCompleted, "the gateway dropped the upstream while the client was still connected");
        response.Dispose();
        await call.Aborted.WaitAsync(Guard);
    }

    [LinuxFact]
    public async Task Concurrent_large_bodies_are_bounded_by_the_buffer_budget()
    {
        const int Requests = 24;
        // Under the upstream's own 30 MB body limit (Kestrel's default), so admitted requests reach it.
        var body = ChatBody("big", 29_000_000);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // true: a request reached the upstream and is held there; false: a client got its answer.
        var progress = Channel.CreateUnbounded<bool>();
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("warm", x => x.Json(200, Completion("ok")));
        upstream.On("big", async x =>
        {
            progress.Writer.TryWrite(true);
            // Held so that every admitted body is still buffered in the gateway while the others arrive.
            await release.Task.WaitAsync(Guard, x.Aborted);
            await x.Json(200, Completion("ok"));
        });
        await using var gateway = await StartGatewayAsync(upstream.BaseUrl, new()
        {
            ["Limits:MaxBufferedBytes"] = (64 * MiB).ToString(),
            ["Limits:MaxRequestBodyBytes"] = (32 * MiB).ToString(),
        });
        using var http = Client(gateway);
        await WarmUpAsync(http, Encoding.UTF8.GetString(ChatBody("warm", 1_000_000)));
        var before = gateway.Memory();

        var sends = Enumerable.Range(0, Requests).Select(_ => SendAsync()).ToList();
        int held = 0, answered = 0;
        while (held + answered < Requests)
        {
            if (await progress.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(60))) held++;
            else answered++;
        }
        release.SetResult();
        var results = await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(60));

        var after = gateway.Memory();
        var ok = results.Count(r => r.Status == HttpStatusCode.OK);
        var refused = results.Count(r => r.Status == HttpStatusCode.ServiceUnavailable);
        Report("large bodies", before, after, $"{Requests} × {body.Length / 1_000_000} MB: {ok} × 200, {refused} × 503 (held upstream at once: {held})");
        Assert.All(results, r => Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"{(int)r.Status}: {r.Body}"));
        Assert.InRange(ok, 1, Requests - 1);
        Assert.InRange(refused, 1, Requests - 1);
        foreach (var (_, responseBody, retryAfter) in results.Where(r => r.Status == HttpStatusCode.ServiceUnavailable))
        {
            Assert.Equal("server_overloaded", OpenAiErrors.AssertShape(responseBody).GetProperty("code").GetString());
            Assert.NotNull(retryAfter);
        }
        // A 64 MiB budget admits two of these bodies at a time: the gateway grows by 57-190 MiB over runs (the rest is
        // the GC's and the socket pools' timing, with 22 refused bodies drained at once). The old gateway held all of
        // them (30 × 30 MB took 2.5 GB); without the budget, these 24 take 680 MiB.
        AssertGrowthBelow(384 * MiB, before, after);

        async Task<(HttpStatusCode Status, string Body, RetryConditionHeaderValue? RetryAfter)> SendAsync()
        {
            try
            {
                var content = new ByteArrayContent(body);
                content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync("/v1/chat/completions", content);
                return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.RetryAfter);
            }
            finally
            {
                progress.Writer.TryWrite(false);
            }
        }
    }

    [LinuxFact]
    public async Task A_huge_non_streamed_upstream_reply_is_refused_not_buffered()
    {
        const int Pieces = 300;
        await using var upstream = SocketUpstream.Start(x => x.Model switch
        {
            "warm" => x.SendJsonAsync(Completion("ok")),
            _ => HugeCompletionAsync(x, announceLength: x.Model == "huge-announced"),
        });
        await using var gateway = await StartGatewayAsync(upstream.BaseUrl, new() { ["Limits:MaxResponseBodyBytes"] = (8 * MiB).ToString() });
        using var http = Client(gateway);
        await WarmUpAsync(http, """{"model":"warm","messages":[{"role":"user","content":"hi"}]}""");
        var before = gateway.Memory();

        var replies = new List<(string Model, HttpStatusCode Status, string Body, UpstreamEnd End)>();
        foreach (var model in new[] { "huge-announced", "huge-chunked" })
        {
            using var response = await PostAsync(http, $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""");
            var body = await response.Content.ReadAsStringAsync();
            replies.Add((model, response.StatusCode, body, await upstream.Ended(model).WaitAsync(Guard)));
        }

        var after = gateway.Memory();
        Report("huge reply", before, after, string.Join("; ", replies.Select(r => $"{r.Model}: {(int)r.Status}, upstream sent {r.End.Sent / MiB} MiB of {Pieces} MiB")));
        foreach (var (model, status, body, end) in replies)
        {
            Assert.Equal(HttpStatusCode.BadGateway, status);
            Assert.Equal("upstream_response_too_large", OpenAiErrors.AssertShape(body).GetProperty("code").GetString());
            Assert.True(end.Cut, $"{model}: the gateway read the whole {Pieces} MiB reply");
        }
        // At most MaxResponseBodyBytes is read (the buffer doubling up to 8 MiB): the gateway grows by about 18 MiB.
        // The old gateway buffered the whole reply: +800 MB for 300 MB.
        AssertGrowthBelow(64 * MiB, before, after);

        static async Task HugeCompletionAsync(SocketExchange x, bool announceLength)
        {
            // One valid chat completion of exactly Pieces MiB (a head, one long content string, a tail), so that only
            // its size can be the reason to refuse it.
            var parts = Completion("").Split("\"content\":\"");
            var filler = Enumerable.Repeat((byte)'x', (int)MiB).ToArray();
            var first = filler.ToArray();
            Encoding.UTF8.GetBytes(parts[0] + "\"content\":\"").CopyTo(first, 0);
            var last = filler.ToArray();
            var tail = Encoding.UTF8.GetBytes(parts[1]);
            tail.CopyTo(last, last.Length - tail.Length);
            await x.SendHeadAsync("application/json", announceLength ? Pieces * MiB : null);
            for (var i = 0; i < Pieces; i++) await x.SendBodyAsync(i == 0 ? first : i == Pieces - 1 ? last : filler);
            await x.EndBodyAsync();
        }
    }

    [LinuxFact]
    public async Task An_sse_line_that_never_ends_is_cut_at_the_event_limit()
    {
        const int Pieces = 300;
        await using var upstream = SocketUpstream.Start(async x =>
        {
            await x.SendHeadAsync("text/event-stream", null);
            if (x.Model == "warm")
            {
                await x.SendBodyAsync(Encoding.UTF8.GetBytes($"data: {ContentChunk("hello")}\n\ndata: {FinishChunk()}\n\ndata: {UsageChunk(5, 1)}\n\ndata: [DONE]\n\n"));
            }
            else
            {
                await x.SendBodyAsync(Encoding.UTF8.GetBytes($"data: {ContentChunk("first")}\n\ndata: "));
                var filler = Enumerable.Repeat((byte)'x', (int)MiB).ToArray();
                for (var i = 0; i < Pieces; i++) await x.SendBodyAsync(filler);
            }
            await x.EndBodyAsync();
        });
        await using var gateway = await StartGatewayAsync(upstream.BaseUrl, new() { ["Limits:MaxEventBytes"] = MiB.ToString() });
        using var http = Client(gateway);
        await WarmUpAsync(http, """{"model":"warm","messages":[{"role":"user","content":"hi"}],"stream":true}""");
        var before = gateway.Memory();

        using var response = await PostAsync(http, """{"model":"endless-line","messages":[{"role":"user","content":"hi"}],"stream":true}""");
        var events = Sse.Events(await response.Content.ReadAsStringAsync());
        var end = await upstream.Ended("endless-line").WaitAsync(Guard);

        var after = gateway.Memory();
        Report("endless SSE line", before, after, $"upstream sent {end.Sent / MiB} MiB of {Pieces} MiB");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, events.Count);
        Assert.Equal("first", Sse.Json(events[0]).GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString());
        Assert.Equal("upstream_response_too_large", OpenAiErrors.AssertShape(events[1]).GetProperty("code").GetString());
        Assert.True(end.Cut, $"the gateway read the whole {Pieces} MiB line");
        // One event of at most 1 MiB is held: the gateway grows by 2-3 MiB. The old SSE parser kept the unterminated
        // line growing: 2.2 GB.
        AssertGrowthBelow(64 * MiB, before, after);
    }

    private static Task<GatewayProcess> StartGatewayAsync(string upstreamUrl, Dictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>(settings ?? [])
        {
            ["Providers:up:BaseUrl"] = upstreamUrl + "/v1",
            ["Providers:up:Models:0"] = "*",
        };
        return GatewayProcess.StartAsync(all);
    }

    private static HttpClient Client(GatewayProcess gateway) =>
        // No draining on dispose: a response dropped unread closes its connection at once, as a client that left would.
        new(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = new Uri(gateway.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };

    private static async Task<HttpResponseMessage> PostAsync(HttpClient http, string json, HttpCompletionOption completion = HttpCompletionOption.ResponseContentRead)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        return await http.SendAsync(request, completion).WaitAsync(TimeSpan.FromSeconds(60));
    }

    /// <summary>One ordinary request of the same kind first, so that what is measured is the misbehaviour, not loading the code.</summary>
    private static async Task WarmUpAsync(HttpClient http, string json)
    {
        using var response = await PostAsync(http, json);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, body);
    }

    /// <summary>A chat request whose one message has <paramref name="contentLength"/> characters.</summary>
    private static byte[] ChatBody(string model, int contentLength)
    {
        var head = Encoding.UTF8.GetBytes($"{{\"model\":\"{model}\",\"messages\":[{{\"role\":\"user\",\"content\":\"");
        var tail = "\"}]}"u8;
        var body = new byte[head.Length + contentLength + tail.Length];
        head.CopyTo(body, 0);
        body.AsSpan(head.Length, contentLength).Fill((byte)'a');
        tail.CopyTo(body.AsSpan(head.Length + contentLength));
        return body;
    }

    private static byte[] Batch(byte[] item, int count)
    {
        var batch = new byte[item.Length * count];
        for (var i = 0; i < count; i++) item.CopyTo(batch, i * item.Length);
        return batch;
    }

    private void Report(string name, (long Rss, long PeakRss) before, (long Rss, long PeakRss) after, string detail) =>
        output.WriteLine($"{name}: RSS before {before.Rss / MiB} MiB (peak {before.PeakRss / MiB} MiB), after {after.Rss / MiB} MiB, peak {after.PeakRss / MiB} MiB, growth {(after.PeakRss - before.Rss) / MiB} MiB. {detail}");

    private static void AssertGrowthBelow(long bound, (long Rss, long PeakRss) before, (long Rss, long PeakRss) after)
    {
        var growth = after.PeakRss - before.Rss;
        Assert.True(growth < bound, $"the gateway's peak RSS grew by {growth / MiB} MiB (from {before.Rss / MiB} MiB to {after.PeakRss / MiB} MiB); the bound is {bound / MiB} MiB");
    }
}

/// <summary>How an upstream reply ended: the bytes the kernel accepted, and whether the gateway closed the connection first.</summary>
file readonly record struct UpstreamEnd(long Sent, bool Cut);

/// <summary>
/// A bare HTTP/1.1 upstream on a socket, one request per connection. Kestrel completes writes to a connection whose
/// peer has gone as silent no-ops until it gets round to signalling the abort, so a Kestrel upstream cannot tell
/// "the gateway read it all" from "the gateway hung up"; a socket send fails once the gateway has closed.
/// </summary>
file sealed class SocketUpstream : IAsyncDisposable
{
    private readonly Socket _listener = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
    private readonly Func<SocketExchange, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<UpstreamEnd>> _ends = new();
    private readonly ConcurrentBag<Socket> _connections = [];
    private Task _accepting = Task.CompletedTask;

    private SocketUpstream(Func<SocketExchange, Task> script) => _script = script;

    public string BaseUrl => $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndPoint!).Port}";

    public static SocketUpstream Start(Func<SocketExchange, Task> script)
    {
        var upstream = new SocketUpstream(script);
        upstream._listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        upstream._listener.Listen(64);
        upstream._accepting = upstream.AcceptAsync();
        return upstream;
    }

    /// <summary>How the (last) reply for <paramref name="model"/> ended.</summary>
    public Task<UpstreamEnd> Ended(string model) => EndFor(model).Task;

    private TaskCompletionSource<UpstreamEnd> EndFor(string model) =>
        _ends.GetOrAdd(model, _ => new TaskCompletionSource<UpstreamEnd>(TaskCreationOptions.RunContinuationsAsynchronously));

    private async Task AcceptAsync()
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await _listener.AcceptAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            _connections.Add(connection);
            _ = ServeAsync(connection);
        }
    }

    private async Task ServeAsync(Socket connection)
    {
        string? model = null;
        SocketExchange? exchange = null;
        try
        {
            var body = await ReadRequestAsync(connection);
            // The tests' requests are compact JSON, and the gateway splices the model in the same way.
            var at = body.IndexOf("\"model\":\"", StringComparison.Ordinal) + 9;
            model = at < 9 ? "" : body[at..body.IndexOf('"', at)];
            exchange = new SocketExchange(connection, model);
            await _script(exchange);
            EndFor(model).TrySetResult(new UpstreamEnd(exchange.Sent, Cut: false));
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            if (model is not null) EndFor(model).TrySetResult(new UpstreamEnd(exchange?.Sent ?? 0, Cut: true));
        }
        catch (Exception e)
        {
            // A broken script fails the test that waits for it instead of leaving it to time out.
            if (model is not null) EndFor(model).TrySetException(e);
        }
        finally
        {
            connection.Dispose();
        }
    }

    /// <summary>The request's body (the gateway always sends a Content-Length).</summary>
    private static async Task<string> ReadRequestAsync(Socket connection)
    {
        var received = new byte[64 * 1024];
        var filled = 0;
        int headEnd;
        while ((headEnd = received.AsSpan(0, filled).IndexOf("\r\n\r\n"u8)) < 0)
        {
            if (filled == received.Length) throw new IOException("request head too large");
            var read = await connection.ReceiveAsync(received.AsMemory(filled));
            if (read == 0) throw new IOException("closed before the request head ended");
            filled += read;
        }
        var head = Encoding.ASCII.GetString(received, 0, headEnd);
        var length = head.Split("\r\n").Where(line => line.StartsWith("content-length:", StringComparison.OrdinalIgnoreCase))
            .Select(line => int.Parse(line["content-length:".Length..].Trim())).Single();
        var body = new byte[length];
        var already = Math.Min(length, filled - headEnd - 4);
        received.AsSpan(headEnd + 4, already).CopyTo(body);
        for (var at = already; at < length;)
        {
            var read = await connection.ReceiveAsync(body.AsMemory(at));
            if (read == 0) throw new IOException("closed before the request body ended");
            at += read;
        }
        return Encoding.UTF8.GetString(body);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Dispose();
        await _accepting;
        foreach (var connection in _connections) connection.Dispose();
        _stop.Dispose();
    }
}

/// <summary>One reply on a <see cref="SocketUpstream"/> connection: chunked unless its length is announced, then the connection closes.</summary>
file sealed class SocketExchange(Socket connection, string model)
{
    private bool _chunked;

    public string Model { get; } = model;

    /// <summary>Bytes of the reply the kernel has accepted so far.</summary>
    public long Sent { get; private set; }

    public Task SendHeadAsync(string contentType, long? contentLength)
    {
        _chunked = contentLength is null;
        var framing = contentLength is { } length ? $"Content-Length: {length}" : "Transfer-Encoding: chunked";
        return SendAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 200 OK\r\nContent-Type: {contentType}\r\n{framing}\r\nConnection: close\r\n\r\n"));
    }

    public async Task SendBodyAsync(byte[] bytes)
    {
        if (_chunked) await SendAsync(Encoding.ASCII.GetBytes($"{bytes.Length:x}\r\n"));
        await SendAsync(bytes);
        if (_chunked) await SendAsync("\r\n"u8.ToArray());
    }

    public Task EndBodyAsync() => _chunked ? SendAsync("0\r\n\r\n"u8.ToArray()) : Task.CompletedTask;

    public async Task SendJsonAsync(string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        await SendHeadAsync("application/json", body.Length);
        await SendBodyAsync(body);
    }

    private async Task SendAsync(byte[] bytes)
    {
        await connection.SendAsync(bytes);
        Sent += bytes.Length;
    }
}
