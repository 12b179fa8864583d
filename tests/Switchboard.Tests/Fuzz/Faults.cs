using System.IO.Compression;
using System.Text;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Fuzz;

internal enum OutcomeKind { Success, Failure, Any }

/// <summary>Whether a fault happens before the gateway can have committed a status (so it must be one) or after (so it must be an event).</summary>
internal enum Commit { Before, After, Either }

/// <summary>
/// What the client must see for a fault. <c>Content</c>: the exact answer text, when checkable. <c>Validate</c>: the
/// answer must pass OpenAI's schema. <c>Codes</c>: the error codes that are right. <c>UpstreamSentUsage</c>: the
/// stream carried usage, so a client that asked gets exactly one usage chunk.
/// </summary>
internal sealed record Outcome(OutcomeKind Kind, string? Content = null, bool Validate = false, string?[]? Codes = null, int? Status = null,
    Commit Commit = Commit.Either, bool UpstreamSentUsage = false)
{
    public static Outcome Answer(string? content, bool validate = false, bool usage = false) => new(OutcomeKind.Success, content, validate, UpstreamSentUsage: usage);

    public static Outcome Error(int status, Commit commit, params string?[] codes) => new(OutcomeKind.Failure, Codes: codes, Status: status, Commit: commit);
}

internal sealed record FaultCase(int Seed, int Number, string Model, string Fault, bool Stream, bool WantsUsage, Func<UpstreamExchange, Task> Script, Outcome Expected);

/// <summary>The seeded faults, each a script for the upstream and the outcome the client must see.</summary>
internal static class Faults
{
    private const string Secret = UpstreamFaultTests.Secret;

    // Pieces of answer text: as JSON string content, and as the text they decode to.
    private static readonly (string Json, string Text)[] Pieces =
    [
        ("Hel", "Hel"), ("lo", "lo"), (" 你好", " 你好"), ("，世界", "，世界"), ("😀", "😀"), (" \\u00e9t\\u00e9", " été"), ("\\n", "\n"), ("a\\\"b", "a\"b"), ("\\ud83d\\ude00", "😀"),
    ];

    public static IEnumerable<FaultCase> Generate(int seed, int count)
    {
        var random = new Random(seed);
        for (var number = 0; number < count; number++)
        {
            var stream = random.Next(3) != 0;
            var wantsUsage = stream && random.Next(2) == 0;
            var (fault, script, expected) = stream && random.Next(4) != 0 ? StreamFault(random) : BodyFault(random, stream);
            yield return new FaultCase(seed, number, $"fault-{seed}-{number}", fault, stream, wantsUsage, script, expected);
        }
    }

    /// <summary>Faults in an event stream.</summary>
    private static (string, Func<UpstreamExchange, Task>, Outcome) StreamFault(Random random)
    {
        var (events, content, usage) = GoodEvents(random);
        var framing = Framing.Pick(random);
        switch (random.Next(27))
        {
            case <= 5:
                return ($"a good stream, {framing}", Send(random, framing.Frame(events)), Outcome.Answer(content, usage: usage));
            case 6:
            {
                // Unpaired surrogates are valid JSON escapes: relayed as they are, in content and in usage.
                var lone = BodyCases.Pick(random, "\\ud800", "\\udfff", "\\udbff\\udbff");
                events.Insert(1, ContentChunk("x" + lone));
                events[^2] = UsageChunkWith(random, $"\"x{lone}\":\"{lone}\"");
                return ($"unpaired surrogate {lone} in content and usage, {framing}", Send(random, framing.Frame(events)), Outcome.Answer(null, usage: true));
            }
            case 7:
            case 8:
            {
                var bad = BodyCases.Pick(random, "garbage text", "[1,2,3]", "{\"id\":\"chatcmpl-fx\",\"choices\":[", "42", "\"a string\"", "{\"a\":1} trailing", "", "{\"a\":1}{\"b\":2}", "nul", "{'a':1}", "[DONE] ");
                var at = random.Next(events.Count - 1);
                events.Insert(at, bad);
                // An empty event carries nothing and is skipped (some servers send them as keep-alives).
                if (bad.Length == 0) return ($"an empty data event after {at} events, {framing}", Send(random, framing.Frame(events)), Outcome.Answer(content, usage: usage));
                return ($"data '{bad}' after {at} events, {framing}", Send(random, framing.Frame(events)), Outcome.Error(200, Commit.After, "upstream_bad_response"));
            }
            case 9:
            {
                var at = random.Next(events.Count - 1);
                var invalid = Convert.FromHexString(BodyCases.Pick(random, "FF", "C080", "EDA080", "E4B8", "80", "F4908080"));
                var bytes = new List<byte>(framing.Frame(events[..at]));
                bytes.AddRange(Encoding.UTF8.GetBytes($$"""data: {{{ChunkHead}},"choices":[{"index":0,"delta":{"content":"bad """));
                bytes.AddRange(invalid);
                bytes.AddRange(Encoding.UTF8.GetBytes("\"},\"finish_reason\":null}]}\n\n"));
                bytes.AddRange(framing.Frame(events[at..]));
                return ($"invalid UTF-8 {Convert.ToHexString(invalid)} in event {at}", Send(random, [.. bytes]), Outcome.Error(200, Commit.After, "upstream_bad_response"));
            }
            case 10:
            {
                var at = random.Next(events.Count - 1);
                var size = MaxEventBytesOver(random);
                events.Insert(at, ContentChunk(new string('x', size)));
                return ($"a {size}-character event after {at} events", Send(random, framing.Frame(events)),
                    Outcome.Error(502, at == 0 ? Commit.Before : Commit.After, "upstream_response_too_large"));
            }
            case 11:
            {
                // Large, but within the event limit: relayed whole.
                var text = new string('y', random.Next(20_000, 60_000));
                events.Insert(1, ContentChunk(text));
                return ($"a {text.Length}-character event", Send(random, framing.Frame(events)), Outcome.Answer(content is null ? null : text + content, usage: usage));
            }
            case 12:
            case 13:
            {
                // The last line never ends, then the connection closes cleanly.
                var at = random.Next(events.Count - 1);
                var tail = BodyCases.Pick(random, "data: " + events[at], "data: " + events[at] + "\n", "data: [DONE]", "data: {\"id\":", "data");
                return ($"after {at} events a line that never ends: {tail.Replace("\n", "\\n", StringComparison.Ordinal)[..Math.Min(30, tail.Length)]}", Send(random, [.. framing.Frame(events[..at]), .. Encoding.UTF8.GetBytes(tail)]),
                    Outcome.Error(502, at == 0 ? Commit.Before : Commit.After, "upstream_stream_interrupted"));
            }
            case 14:
            {
                var at = random.Next(events.Count - 1);
                return ($"a clean end without [DONE] after {at} events", Send(random, framing.Frame(events[..at])), Outcome.Error(502, at == 0 ? Commit.Before : Commit.After, "upstream_stream_interrupted"));
            }
            case 15:
            {
                // A reset may overtake bytes still being sent, so how much arrived before it is not fixed.
                var at = random.Next(events.Count - 1);
                return ($"a connection reset after {at} events", Send(random, framing.Frame(events[..at]), reset: true),
                    Outcome.Error(502, Commit.Either, "upstream_stream_interrupted", "upstream_connection_closed"));
            }
            case 16:
            {
                var at = random.Next(1, events.Count - 1);
                return ($"silence after {at} events", Send(random, framing.Frame(events[..at]), stall: true), Outcome.Error(504, Commit.After, "upstream_timeout"));
            }
            case 17:
            case 23:
            {
                // The upstream's own error event ends the stream; whatever its shape, the client must get OpenAI's.
                var at = random.Next(events.Count - 1);
                var (error, code) = BodyCases.Pick(random,
                    ("""{"error":{"message":"The server is overloaded.","type":"server_error","param":null,"code":"overloaded"}}""", "overloaded"),
                    ("""{"error":{"message":"rate limited","type":"requests","param":null,"code":null}}""", null),
                    ("""{"error":"boom"}""", (string?)Any),
                    ("""{"error":{"message":"x"}}""", Any),
                    ("""{"error":{"object":"error","message":"bad","type":"BadRequestError","param":null,"code":400}}""", Any),
                    ($$$"""{"error":{"message":"Incorrect API key provided: {{{Secret}}}","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""", Any));
                events.Insert(at, error);
                // As the first event nothing has been sent yet: it is an error response (502), not a stream.
                var commit = at == 0 ? Commit.Before : Commit.After;
                return ($"error event {error} after {at} events", Send(random, framing.Frame(events)),
                    code == Any ? new Outcome(OutcomeKind.Failure, Commit: commit) : Outcome.Error(at == 0 ? 502 : 200, commit, code));
            }
            case 18:
            {
                // "error": null says there is no error: the chunk is an ordinary one.
                events.Insert(1, $$"""{{{ChunkHead}},"error":null,"choices":[{"index":0,"delta":{"content":"!"},"finish_reason":null}]}""");
                return ("a content chunk with \"error\": null", Send(random, framing.Frame(events)), Outcome.Answer(content is null ? null : "!" + content, usage: usage));
            }
            case 19:
                return ("events after [DONE]", Send(random, framing.Frame([.. events, ContentChunk("late"), "[DONE]"])), Outcome.Answer(content, usage: usage));
            case 20:
                return ("[DONE] first", Send(random, framing.Frame(["[DONE]", .. events])), Outcome.Answer("", usage: false));
            case 21:
                return ($"multi-line data, {framing}", Send(random, (framing with { MultiLine = true }).Frame(events)), Outcome.Answer(content, usage: usage));
            case 22:
                return ("the status line and headers, then silence", async x =>
                {
                    await x.StartSse();
                    await x.Stall();
                }, Outcome.Error(504, Commit.Before, "upstream_timeout"));
            case 24:
            {
                // Events a few bytes either side of the limit: whichever side the gateway puts them, the stream must stay readable.
                var framed = UpstreamFaultTests.MaxEventBytes + random.Next(-8, 9);
                var chunk = ContentChunk(new string('w', framed - "data: \n\n".Length - ContentChunk("").Length));
                events.Insert(1, chunk);
                return ($"an event of {framed} bytes with its framing", Send(random, Framing.Plain.Frame(events)), new Outcome(OutcomeKind.Any));
            }
            case 25:
                return ($"one byte per write, {framing}", Send(random, framing.Frame(events), everyByte: true), Outcome.Answer(content, usage: usage));
            default:
                return ("cumulative usage on every chunk", Send(random, framing.Frame(CumulativeUsage(out var total))), Outcome.Answer(total, usage: true));
        }
    }

    private const string Any = "\u0000any";

    /// <summary>Faults in a whole (non-event-stream) response, to a client that streams or not.</summary>
    private static (string, Func<UpstreamExchange, Task>, Outcome) BodyFault(Random random, bool clientStreams)
    {
        var (json, text) = Pieces[random.Next(Pieces.Length)];
        switch (random.Next(20))
        {
            case <= 2:
            {
                var type = BodyCases.Pick(random, "application/json", "application/json; charset=utf-8", "text/plain", null);
                return ($"a good completion as {type ?? "(no type)"}", Body(200, type, Completion(json)), clientStreams ? new Outcome(OutcomeKind.Any) : Outcome.Answer(text, validate: true));
            }
            case 3:
            {
                var lone = BodyCases.Pick(random, "\\ud800", "\\udfff");
                return ($"a completion with {lone} in its content", Body(200, "application/json", Completion("x" + lone)), clientStreams ? new Outcome(OutcomeKind.Any) : Outcome.Answer(null));
            }
            case 4:
            case 5:
            {
                var status = BodyCases.Pick(random, 200, 500, 401, 429, 503, 400, 403);
                var html = $"<!DOCTYPE html><html><body><h1>{status}</h1><p>key {Secret} refused</p></body></html>";
                var (expected, code) = status switch
                {
                    200 => (502, "upstream_bad_response"),
                    401 => (502, "upstream_authentication_failed"),
                    _ => (status, "upstream_error"),
                };
                return ($"HTML with status {status}", Body(status, "text/html", html), Outcome.Error(expected, Commit.Before, code));
            }
            case 6:
            case 7:
            {
                var status = BodyCases.Pick(random, 400, 403, 404, 409, 422, 429, 500, 503);
                var code = BodyCases.Pick(random, "rate_limit_exceeded", "server_error", "context_length_exceeded", null);
                var message = BodyCases.Pick(random, "Something went wrong.", $"Key {Secret} is over quota.", $"Key {Secret.Replace("-", "\\u002d", StringComparison.Ordinal)} escaped", "trailing 😀 emoji");
                var body = $$$"""{"error":{"message":"{{{message}}}","type":"invalid_request_error","param":null,"code":{{{(code is null ? "null" : $"\"{code}\"")}}}}}""";
                return ($"OpenAI error {status} {code ?? "null"}: {message}", Body(status, "application/json", body), Outcome.Error(status, Commit.Before, code));
            }
            case 8:
            {
                // The key where the gateway does not redact: the other fields of an error.
                var status = BodyCases.Pick(random, 400, 403, 429, 500);
                var field = BodyCases.Pick(random, "type", "param", "code");
                var body = $$$"""{"error":{"message":"denied","type":"{{{(field == "type" ? Secret : "invalid_request_error")}}}","param":{{{(field == "param" ? $"\"{Secret}\"" : "null")}}},"code":{{{(field == "code" ? $"\"{Secret}\"" : "null")}}}}}""";
                return ($"status {status} with the key in error.{field}", Body(status, "application/json", body), new Outcome(OutcomeKind.Any));
            }
            case 9:
            {
                var body = BodyCases.Pick(random, $$$"""{"error":{"message":"Incorrect API key provided: {{{Secret}}}","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""",
                    $$"""{"error":"bad key {{Secret}}"}""", "Unauthorized", "");
                return ($"401 {body}", Body(401, "application/json", body), Outcome.Error(502, Commit.Before, "upstream_authentication_failed"));
            }
            case 10:
            {
                var status = BodyCases.Pick(random, 400, 404, 500, 502);
                var (body, code) = BodyCases.Pick(random, ($"{{\"error\":\"text with {Secret}\"}}", (string?)null), ("{\"message\":\"vllm style\",\"code\":42}", "42"),
                    ("{\"detail\":\"not found\"}", "upstream_error"), ("[1,2]", "upstream_error"), ("\"str\"", "upstream_error"), ("{\"error\":{\"code\":123}}", "upstream_error"),
                    ("{\"error\":null}", "upstream_error"), ("{\"error\":{\"message\":\"\\ud800\"}}", "upstream_error"), ("{\"error\":{\"message\":\"a\"", "upstream_error"),
                    ($"{{\"error\":{{\"message\":\"{new string('m', 4095)}😀 {Secret}\"}}}}", null));
                return ($"status {status} with {(body.Length > 60 ? body[..60] + "…" : body)}", Body(status, "application/json", body), Outcome.Error(status, Commit.Before, code));
            }
            case 11:
            {
                var status = BodyCases.Pick(random, 200, 500);
                var announce = random.Next(2) == 0;
                var size = MaxResponseBodyOver(random);
                var body = Completion(new string('z', size));
                // A 200 JSON body is no answer to a streaming request whatever its size, so that is a right error too.
                return ($"a {body.Length}-byte body with status {status}{(announce ? ", announced" : ", chunked")}", Body(status, "application/json", body, announceLength: announce),
                    clientStreams && status == 200 ? Outcome.Error(502, Commit.Before, "upstream_response_too_large", "upstream_bad_response") : Outcome.Error(502, Commit.Before, "upstream_response_too_large"));
            }
            case 12:
            {
                var garbage = new byte[random.Next(0, 300)];
                random.NextBytes(garbage);
                var (label, bytes) = BodyCases.Pick(random, ("random bytes", garbage), ("a JSON array", "[1,2]"u8.ToArray()), ("truncated JSON", Encoding.UTF8.GetBytes(Completion("t")[..40])),
                    ("an empty body", []), ("JSON then garbage", Encoding.UTF8.GetBytes(Completion("t") + "garbage")), ("invalid UTF-8 in JSON", [.. "{\"id\":\""u8, 0xFF, .. "\"}"u8]),
                    ("gzip bytes", Gzip(Encoding.UTF8.GetBytes(Completion("t")))), ("a byte order mark", [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes(Completion("t"))]));
                var outcome = label == "a byte order mark" ? new Outcome(OutcomeKind.Any) : Outcome.Error(502, Commit.Before, "upstream_bad_response");
                return ($"{label} with status 200", async x =>
                {
                    x.Context.Response.StatusCode = 200;
                    x.Context.Response.ContentType = "application/json";
                    if (label == "gzip bytes") x.Context.Response.Headers.ContentEncoding = "gzip";
                    await x.Raw(bytes);
                }, outcome);
            }
            case 13:
                return ("status 204", async x =>
                {
                    x.Context.Response.StatusCode = 204;
                    await Task.CompletedTask;
                }, Outcome.Error(502, Commit.Before, "upstream_bad_response"));
            case 14:
                return ("a redirect", async x =>
                {
                    x.Context.Response.StatusCode = 302;
                    x.Context.Response.Headers.Location = "http://127.0.0.1:9/elsewhere";
                    await Task.CompletedTask;
                }, Outcome.Error(502, Commit.Before, "upstream_bad_response"));
            case 15:
                return ("a reset before any answer", x =>
                {
                    x.Reset();
                    return Task.CompletedTask;
                }, Outcome.Error(502, Commit.Before, "upstream_connection_closed"));
            case 16:
            {
                var completion = Encoding.UTF8.GetBytes(Completion(json));
                var cut = random.Next(1, completion.Length);
                return ($"a reset {cut} bytes into an announced body", async x =>
                {
                    x.Context.Response.ContentLength = completion.Length;
                    x.Context.Response.ContentType = "application/json";
                    await x.Raw(completion[..cut]);
                    x.Reset();
                }, Outcome.Error(502, Commit.Before, "upstream_stream_interrupted", "upstream_connection_closed", "upstream_bad_response"));
            }
            case 17:
                return ("no answer at all", x => x.Stall(), Outcome.Error(504, Commit.Before, "upstream_timeout"));
            case 18:
            {
                // A non-streaming request answered with an event stream.
                var (events, _, _) = GoodEvents(random);
                return ("an event stream for any request", Send(random, Framing.Plain.Frame(events)), clientStreams ? new Outcome(OutcomeKind.Any) : Outcome.Error(502, Commit.Before, "upstream_bad_response"));
            }
            default:
            {
                var status = BodyCases.Pick(random, 429, 503);
                return ($"{status} with retry-after", async x =>
                {
                    x.Context.Response.Headers["retry-after"] = "7";
                    await x.Json(status, Error("slow down", "requests", "rate_limit_exceeded"));
                }, Outcome.Error(status, Commit.Before, "rate_limit_exceeded"));
            }
        }
    }

    /// <summary>A good chat stream: role, content pieces, finish, usage in one of the places providers put it, [DONE].</summary>
    private static (List<string> Events, string? Content, bool Usage) GoodEvents(Random random)
    {
        var events = new List<string> { RoleChunk() };
        var content = new StringBuilder();
        for (int i = 0, n = random.Next(1, 5); i < n; i++)
        {
            var (json, text) = Pieces[random.Next(Pieces.Length)];
            events.Add(ContentChunk(json));
            content.Append(text);
        }
        var style = random.Next(4);
        events.Add(style == 1 ? FinishChunkWithUsage(5, 2) : FinishChunk());
        if (style == 0) events.Add(UsageChunk(5, 2));
        if (style == 2) events.Add(NullChoicesUsageChunk(5, 2));
        events.Add("[DONE]");
        return (events, content.ToString(), style != 3);
    }

    private static List<string> CumulativeUsage(out string content)
    {
        content = "abc";
        return [ContentChunkWithUsage("a", 9, 1), ContentChunkWithUsage("b", 9, 2), ContentChunkWithUsage("c", 9, 3), FinishChunkWithUsage(9, 3), "[DONE]"];
    }

    private static string UsageChunkWith(Random random, string extra) => random.Next(2) == 0
        ? $$$"""{{{{ChunkHead}}},"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7,{{{extra}}}}}"""
        : $$"""{{{ChunkHead}},"choices":[],"usage":{"prompt_tokens":5,"completion_tokens":2,"total_tokens":7},{{extra}}}""";

    private static int MaxEventBytesOver(Random random) => UpstreamFaultTests.MaxEventBytes + random.Next(1, 100_000);

    private static int MaxResponseBodyOver(Random random) => UpstreamFaultTests.MaxResponseBodyBytes + random.Next(1, 100_000);

    /// <summary>Writes the bytes after the event-stream headers in several TCP writes cut at random places (inside multi-byte characters too), then ends, resets or goes silent.</summary>
    private static Func<UpstreamExchange, Task> Send(Random random, byte[] bytes, bool reset = false, bool stall = false, bool everyByte = false)
    {
        var cuts = everyByte ? [.. Enumerable.Range(0, bytes.Length)] : Enumerable.Range(0, random.Next(0, 6)).Select(_ => random.Next(bytes.Length + 1)).ToList();
        var multibyte = Array.FindIndex(bytes, b => b >= 0x80);
        if (multibyte >= 0 && random.Next(2) == 0) cuts.Add(multibyte + 1);
        cuts = [.. cuts.Append(0).Append(bytes.Length).Distinct().Order()];
        return async x =>
        {
            await x.StartSse();
            for (var i = 0; i + 1 < cuts.Count; i++) await x.Raw(bytes[cuts[i]..cuts[i + 1]]);
            if (reset) x.Reset();
            if (stall) await x.Stall();
        };
    }

    private static Func<UpstreamExchange, Task> Body(int status, string? contentType, string body, bool announceLength = true) => async x =>
    {
        var bytes = Encoding.UTF8.GetBytes(body);
        x.Context.Response.StatusCode = status;
        if (contentType is not null) x.Context.Response.ContentType = contentType;
        if (announceLength) x.Context.Response.ContentLength = bytes.Length;
        if (announceLength) await x.Context.Response.Body.WriteAsync(bytes, x.Aborted);
        else
        {
            // In pieces, so the length is only known at the end.
            foreach (var piece in bytes.Chunk(8192)) await x.Raw(piece);
        }
    };

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }
}

/// <summary>How an upstream writes its events: line ends, comments and other fields, the optional space after <c>data:</c>, a BOM, data split over several lines.</summary>
internal sealed record Framing(string Newline, bool Comments, bool OtherFields, bool NoSpace, bool Bom, bool MultiLine)
{
    public static readonly Framing Plain = new("\n", false, false, false, false, false);

    public static Framing Pick(Random random) => random.Next(3) == 0
        ? Plain
        : new(BodyCases.Pick(random, "\n", "\r\n", "\r"), random.Next(2) == 0, random.Next(3) == 0, random.Next(3) == 0, random.Next(6) == 0, MultiLine: false);

    public byte[] Frame(IEnumerable<string> events)
    {
        var text = new StringBuilder();
        if (Bom) text.Append('\uFEFF');
        var data = NoSpace ? "data:" : "data: ";
        foreach (var e in events)
        {
            if (Comments) text.Append(": ping").Append(Newline);
            if (OtherFields) text.Append("event: message").Append(Newline).Append("id: 7").Append(Newline).Append("retry: 1000").Append(Newline);
            // Split at a comma between members, so the data joined with a line feed is still the same JSON.
            var comma = e.IndexOf(",\"object\"", StringComparison.Ordinal);
            if (MultiLine && comma > 0) text.Append(data).Append(e, 0, comma + 1).Append(Newline).Append(data).Append(e, comma + 1, e.Length - comma - 1).Append(Newline);
            else text.Append(data).Append(e).Append(Newline);
            text.Append(Newline);
            if (Comments) text.Append(':').Append(Newline).Append(Newline);
        }
        return Encoding.UTF8.GetBytes(text.ToString());
    }

    public override string ToString() =>
        $"line ends {Newline.Replace("\r", "CR", StringComparison.Ordinal).Replace("\n", "LF", StringComparison.Ordinal)}{(Comments ? ", comments" : "")}{(OtherFields ? ", other fields" : "")}{(NoSpace ? ", no space after data:" : "")}{(Bom ? ", BOM" : "")}{(MultiLine ? ", multi-line data" : "")}";
}
