using System.ClientModel;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using OpenAI.Chat;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Fuzz;

/// <summary>
/// The reverse direction: an upstream that, request by request and driven by a seed, answers with faults — broken
/// events, invalid UTF-8, unpaired surrogates, oversized events and bodies, lines that never end, resets, stalls,
/// HTML and odd error bodies, its own key in error text — and a client that must still see only what an OpenAI SDK
/// can read: a complete answer, or an error in OpenAI's shape, as a status or as a stream's last event. No answer
/// may ever carry the provider's key.
/// </summary>
public sealed class UpstreamFaultTests
{
    private const int Parallelism = 8;
    private static readonly int[] Seeds = [31, 32, 33, 34];
    private const int CasesPerSeed = 150;
    internal const string Secret = "sk-upstream-SECRET-4f9a2c71";
    internal const int MaxEventBytes = 65536;
    internal const int MaxResponseBodyBytes = 65536;

    [Fact]
    public async Task Upstream_faults_reach_the_client_as_complete_answers_or_openai_errors_and_never_leak_the_key()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        var cases = Seeds.SelectMany(seed => Faults.Generate(seed, CasesPerSeed)).ToList();
        foreach (var c in cases) upstream.On(c.Model, c.Script);

        var failures = new ConcurrentBag<(int Seed, int Number, string Text)>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (c, cancellationToken) =>
        {
            var request = new Dictionary<string, object> { ["model"] = c.Model, ["messages"] = new[] { new { role = "user", content = "hi" } }, ["stream"] = c.Stream };
            if (c.Stream) request["stream_options"] = new { include_usage = c.WantsUsage };
            var json = JsonSerializer.Serialize(request);
            using var response = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", json);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var headers = response.Headers.Concat(response.Content.Headers).SelectMany(h => h.Value.Select(v => $"{h.Key}: {v}")).ToList();
            var problem = Check(c, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, headers, body);
            if (problem is not null)
            {
                failures.Add((c.Seed, c.Number, $"seed {c.Seed} case {c.Number} [{c.Fault}] client {(c.Stream ? c.WantsUsage ? "streams with usage" : "streams" : "does not stream")}: {problem}\n" +
                    $"    answer: {(int)response.StatusCode} {response.Content.Headers.ContentType} {FuzzWire.Show(body, 600)}"));
            }
        });

        FuzzWire.AssertNoFailures(failures, cases.Count);
        using var health = await gateway.Http.GetAsync("/healthz");
        Assert.Equal(System.Net.HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(0, await gateway.StopAndGetHeldBufferBytesAsync());
    }

    // The smallest upstream answers for faults the fuzzing above found, kept as regressions.

    [Fact]
    public async Task Event_data_on_several_lines_reaches_the_client_whole()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        // SSE allows an event's data on several "data:" lines, joined with line feeds; here the JSON is split after "id".
        upstream.On("multi-line", async x =>
        {
            await x.StartSse();
            await x.Raw((Framing.Plain with { MultiLine = true }).Frame([RoleChunk(), ContentChunk("Hello"), FinishChunk(), "[DONE]"]));
        });
        using var response = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", Sse.ChatRequest("multi-line"));
        AssertReadable(await response.Content.ReadAsByteArrayAsync(), mustEndWithDone: true);

        var text = new StringBuilder();
        await foreach (var update in gateway.Sdk().GetChatClient("multi-line").CompleteChatStreamingAsync([new UserChatMessage("hi")]))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
        }
        Assert.Equal("Hello", text.ToString());
    }

    [Theory]
    [InlineData("""{"error":{"message":"Incorrect API key provided: {key}","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""")]
    [InlineData("""{"error":"boom"}""")]
    [InlineData("""{"error":{"message":"x"}}""")]
    [InlineData("""{"error":{"object":"error","message":"bad","type":"BadRequestError","param":null,"code":400}}""")]
    public async Task An_upstream_error_event_reaches_the_client_in_openai_shape_without_the_key(string error)
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        upstream.On("error-event", async x =>
        {
            await x.StartSse();
            await x.Event(RoleChunk());
            await x.Event(error.Replace("{key}", Secret, StringComparison.Ordinal));
        });
        using var response = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", Sse.ChatRequest("error-event"));
        var body = await response.Content.ReadAsByteArrayAsync();
        Assert.DoesNotContain(Secret, Encoding.UTF8.GetString(body), StringComparison.Ordinal);
        AssertReadable(body, mustEndWithDone: false);
    }

    [Theory]
    [InlineData("type")]
    [InlineData("param")]
    [InlineData("code")]
    public async Task The_key_in_any_field_of_an_upstream_error_is_not_passed_on(string field)
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        var error = new Dictionary<string, string?> { ["message"] = "denied", ["type"] = "invalid_request_error", ["param"] = null, ["code"] = null };
        error[field] = Secret;
        upstream.On("key-in-error", x => x.Json(403, JsonSerializer.Serialize(new { error })));
        using var response = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", """{"model":"key-in-error","messages":[]}""");
        var body = await response.Content.ReadAsStringAsync();
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, response.StatusCode);
        Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunk_with_error_null_is_an_ordinary_chunk()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        upstream.On("error-null", async x =>
        {
            await x.StartSse();
            await x.Event($$"""{{{ChunkHead}},"error":null,"choices":[{"index":0,"delta":{"content":"Hel"},"finish_reason":null}]}""");
            await x.Event(ContentChunk("lo"));
            await x.Event(FinishChunk());
            await x.Done();
        });
        using var response = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", Sse.ChatRequest("error-null"));
        Assert.Equal(4, AssertReadable(await response.Content.ReadAsByteArrayAsync(), mustEndWithDone: true).Count);
    }

    [Fact]
    public async Task An_event_stream_answer_to_a_request_that_did_not_stream_is_not_relayed_as_a_stream()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        upstream.On("unasked-stream", x => StreamAnswer(x, "Hello"));
        using var response = await Sse.PostAsync(gateway.Http, "/v1/chat/completions", """{"model":"unasked-stream","messages":[{"role":"user","content":"hi"}]}""");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);

        // An SDK that did not ask for a stream gets the answer or an error it can report, never a body it cannot parse.
        try
        {
            var completion = await gateway.Sdk().GetChatClient("unasked-stream").CompleteChatAsync([new UserChatMessage("hi")]);
            Assert.Equal("Hello", completion.Value.Content[0].Text);
        }
        catch (ClientResultException)
        {
        }
    }

    [Fact]
    public async Task A_json_answer_to_a_streaming_request_is_not_relayed_as_an_empty_stream()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        upstream.On("unstreamed", x => x.Json(200, Completion("Hello")));

        // Through the SDK: a 200 JSON body has no events, so a streaming client sees an empty answer and no error.
        var text = new StringBuilder();
        ClientResultException? failure = null;
        try
        {
            await foreach (var update in gateway.Sdk().GetChatClient("unstreamed").CompleteChatStreamingAsync([new UserChatMessage("hi")]))
            {
                foreach (var part in update.ContentUpdate) text.Append(part.Text);
            }
        }
        catch (ClientResultException e)
        {
            failure = e;
        }
        Assert.True(failure is not null || text.ToString() == "Hello", $"the streaming client got '{text}' and no error");
    }

    private static List<string> AssertReadable(byte[] body, bool mustEndWithDone)
    {
        var (problem, events) = FuzzWire.CheckEventStream(body, mustEndWithDone);
        Assert.True(problem is null, $"{problem}\n{FuzzWire.Show(body, 1000)}");
        return events;
    }

    private static Task<GatewayHost> StartGatewayAsync(ScriptedUpstream upstream) => GatewayHost.StartAsync(new Dictionary<string, string?>
    {
        ["Switchboard:Providers:up:BaseUrl"] = upstream.BaseUrl + "/v1",
        ["Switchboard:Providers:up:Models:0"] = "*",
        ["Switchboard:Providers:up:ApiKey"] = Secret,
        ["Switchboard:Providers:up:Retry:MaxRetries"] = "0",
        ["Switchboard:Providers:up:Timeouts:FirstByte"] = "4s",
        ["Switchboard:Providers:up:Timeouts:Idle"] = "2s",
        ["Switchboard:Providers:up:Timeouts:Total"] = "20s",
        ["Switchboard:Providers:up:CircuitBreaker:FailureThreshold"] = "100000",
        ["Switchboard:Limits:MaxEventBytes"] = MaxEventBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Switchboard:Limits:MaxResponseBodyBytes"] = MaxResponseBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Switchboard:Logging:Level"] = "Error",
    });

    private static string? Check(FaultCase c, int status, string? mediaType, List<string> headers, byte[] body)
    {
        if (headers.Find(h => h.Contains(Secret, StringComparison.Ordinal)) is { } leakedHeader) return $"the provider's key in a header: {leakedHeader}";
        if (Leaks(body)) return "the provider's key in the body";

        if (mediaType == "text/event-stream")
        {
            if (!c.Stream) return "an event stream for a client that did not ask to stream";
            if (status != 200) return $"an event stream with status {status}";
            var (problem, events) = FuzzWire.CheckEventStream(body, mustEndWithDone: false);
            if (problem is not null) return problem;
            if (events.Exists(e => Leaks(Encoding.UTF8.GetBytes(e)))) return "the provider's key in an event";
            return c.Expected.Kind switch
            {
                OutcomeKind.Success => CheckStreamedAnswer(c, events),
                OutcomeKind.Failure when c.Expected.Commit == Commit.Before => $"a stream, though the fault came before anything could be committed (expected {c.Expected.Status} {Codes(c)})",
                OutcomeKind.Failure => events[^1] == "[DONE]" ? $"a stream that ends with [DONE], not error {Codes(c)}" : CheckCode(c, ErrorCode(events[^1])),
                _ => null,
            };
        }

        if (mediaType != "application/json") return $"served as {mediaType ?? "(no Content-Type)"}";
        if (!FuzzWire.IsJsonObject(body)) return "a body that is not a JSON object";
        if (status != 200)
        {
            JsonElement error;
            try
            {
                error = OpenAiErrors.AssertShape(Encoding.UTF8.GetString(body));
            }
            catch (Exception e)
            {
                return $"an error not in OpenAI's shape: {e.Message}";
            }
            return c.Expected.Kind switch
            {
                OutcomeKind.Success => $"status {status} for an upstream that answered well",
                OutcomeKind.Failure when c.Expected.Commit == Commit.After => $"a {status} status, though the stream had started (expected an error event {Codes(c)})",
                OutcomeKind.Failure when c.Expected.Status is { } expected && status != expected => $"status {status}, expected {expected}",
                OutcomeKind.Failure => CheckCode(c, error.GetProperty("code").GetString()),
                _ => null,
            };
        }
        if (c.Stream) return "a 200 JSON body for a client that asked for a stream (an SDK reading events finds none)";
        return c.Expected.Kind switch
        {
            OutcomeKind.Success => CheckAnswer(c, body),
            OutcomeKind.Failure => $"a 200 answer, expected {c.Expected.Status} {Codes(c)}",
            _ => null,
        };
    }

    private static string? CheckCode(FaultCase c, string? code) =>
        c.Expected.Codes is null || c.Expected.Codes.Contains(code) ? null : $"error code {code ?? "null"}, expected {Codes(c)}";

    private static string Codes(FaultCase c) => c.Expected.Codes is null ? "any code" : string.Join("|", c.Expected.Codes.Select(code => code ?? "null"));

    private static string? ErrorCode(string data)
    {
        var code = JsonDocument.Parse(data).RootElement.GetProperty("error").GetProperty("code");
        return code.ValueKind == JsonValueKind.Null ? null : code.ToString();
    }

    private static string? CheckAnswer(FaultCase c, byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (c.Expected.Validate && OpenAiSchema.SpecPath is not null && OpenAiSchema.Validate("CreateChatCompletionResponse", root) is { } problems)
            return $"not a CreateChatCompletionResponse: {problems}";
        if (c.Expected.Content is { } content && root.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString() != content)
            return "the answer's content changed on the way";
        return null;
    }

    private static string? CheckStreamedAnswer(FaultCase c, List<string> events)
    {
        if (events[^1] != "[DONE]") return $"a well-formed stream that ends without [DONE]: {FuzzWire.Show(Encoding.UTF8.GetBytes(events[^1]), 300)}";
        var chunks = events.Take(events.Count - 1).Select(e => JsonDocument.Parse(e).RootElement).ToList();
        var withUsage = chunks.FindAll(e => e.TryGetProperty("usage", out var u) && u.ValueKind != JsonValueKind.Null);
        if (c.WantsUsage && c.Expected.UpstreamSentUsage)
        {
            if (withUsage.Count != 1) return $"{withUsage.Count} chunks with usage, expected one";
            if (!chunks[^1].TryGetProperty("usage", out var usage) || usage.ValueKind == JsonValueKind.Null) return "usage is not the last chunk before [DONE]";
            if (chunks[^1].GetProperty("choices").GetArrayLength() != 0) return "the usage chunk has choices";
        }
        else if (withUsage.Count != 0) return $"{withUsage.Count} chunks with usage for a client that {(c.WantsUsage ? "got none from upstream" : "did not ask")}";
        if (c.Expected.Content is { } content)
        {
            var text = new StringBuilder();
            foreach (var chunk in chunks)
            {
                if (chunk.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array && choices.GetArrayLength() > 0 &&
                    choices[0].GetProperty("delta").TryGetProperty("content", out var part)) text.Append(part.GetString());
            }
            if (text.ToString() != content) return $"the streamed content is '{text}', expected '{content}'";
        }
        return null;
    }

    /// <summary>Whether the key is in the bytes, or in any string of them once JSON escapes are undone.</summary>
    private static bool Leaks(byte[] bytes)
    {
        if (bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(Secret)) >= 0) return true;
        if (!FuzzWire.IsJsonObject(bytes)) return false;
        using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 512 });
        return LeaksIn(document.RootElement);
    }

    private static bool LeaksIn(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                return element.EnumerateObject().Any(p => LeaksIn(p.Value));
            case JsonValueKind.Array:
                return element.EnumerateArray().Any(LeaksIn);
            case JsonValueKind.String:
                try
                {
                    return element.GetString()!.Contains(Secret, StringComparison.Ordinal);
                }
                catch (InvalidOperationException)
                {
                    return element.GetRawText().Contains(Secret, StringComparison.Ordinal);    // an unpaired surrogate elsewhere in the string
                }
            default:
                return false;
        }
    }
}
