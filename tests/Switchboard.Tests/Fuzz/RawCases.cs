using System.Globalization;
using System.IO.Compression;
using System.Text;

namespace Switchboard.Tests.Fuzz;

/// <summary>
/// One raw HTTP request and what its answer must be. <c>WellFramed</c>: the request is valid HTTP, so an error must
/// come from the gateway with a body, not from Kestrel's parser. <c>MayGoUnanswered</c>: the request ends early
/// (half-closed), so the server may close without answering.
/// </summary>
internal sealed record RawCase(int Seed, int Number, string Mutation, byte[] Request, Expect? Expected, bool WellFramed = true, bool HalfClose = false,
    bool MayGoUnanswered = false, bool IsHead = false, Func<RawResponse, string?>? Extra = null);

/// <summary>Variations of the HTTP around a request: media types, content codings, framing, paths, methods, headers.</summary>
internal static class RawCases
{
    private const string Chat = """{"model":"gpt-fuzz","messages":[{"role":"user","content":"hi 你好"}]}""";
    private const string ChatStream = """{"model":"gpt-fuzz","messages":[{"role":"user","content":"hi"}],"stream":true}""";
    private static readonly string[] ForwardedPaths = ["/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/moderations", "/v1/images/generations"];

    public static IEnumerable<RawCase> Generate(int seed, int count, int port)
    {
        var random = new Random(seed);
        for (var number = 0; number < count; number++)
        {
            var c = random.Next(11) switch
            {
                0 => ContentType(random),
                1 or 2 => ContentEncoding(random),
                3 => Chunked(random),
                4 => ContentLength(random),
                5 => Paths(random),
                6 => Methods(random),
                7 => HostAndOrigin(random, port),
                8 => Headers(random),
                9 => Framing(random),
                _ => LongEchoes(random),
            };
            yield return c with { Seed = seed, Number = number };
        }
    }

    private static RawCase Case(string mutation, byte[] request, Expect? expected) => new(0, 0, mutation, request, expected);

    private static RawCase ContentType(Random random)
    {
        var (type, json) = BodyCases.Pick(random, ("application/json", true), ("application/json; charset=utf-8", true), ("APPLICATION/JSON", true),
            ("application/vnd.fuzz+json", true), (" application/json ;x=y", true), ("text/plain", false), ("text/plain; charset=utf-8", false),
            ("application/x-www-form-urlencoded", false), ("multipart/form-data; boundary=x", false), ("application/jsonx", false), ("json", false),
            ("application/json, text/plain", false), ("+json", false), ("", false), ("text/json", false), ("application/*", false));
        var omit = random.Next(6) == 0;
        var headers = omit ? [] : new[] { $"Content-Type: {type}" };
        var body = random.Next(3) == 0 ? ChatStream : Chat;
        return Case($"Content-Type {(omit ? "(none)" : type)}", Build("POST", "/v1/chat/completions", headers, Encoding.UTF8.GetBytes(body)),
            json && !omit ? new Expect(200) : new Expect(415, "unsupported_media_type", null));
    }

    private static RawCase ContentEncoding(Random random)
    {
        var json = Encoding.UTF8.GetBytes(random.Next(3) == 0 ? ChatStream : Chat);
        var coding = BodyCases.Pick(random, "gzip", "x-gzip", "deflate", "br", "GZIP", "Br");
        var compressed = Compress(coding.ToLowerInvariant(), json);
        var path = "/v1/chat/completions";
        switch (random.Next(9))
        {
            case 0:
            case 1:
                return Case($"Content-Encoding {coding}, valid", Build("POST", path, [Json, $"Content-Encoding: {coding}"], compressed), new Expect(200));
            case 2:
            {
                var garbage = new byte[random.Next(1, 200)];
                random.NextBytes(garbage);
                return Case($"Content-Encoding {coding}, random bytes", Build("POST", path, [Json, $"Content-Encoding: {coding}"], garbage), new Expect(400));
            }
            case 3:
            {
                var flipped = compressed.ToArray();
                var at = random.Next(flipped.Length);
                flipped[at] ^= (byte)(1 << random.Next(8));
                return Case($"Content-Encoding {coding}, bit flipped at {at}", Build("POST", path, [Json, $"Content-Encoding: {coding}"], flipped), null);
            }
            case 4:
            {
                var cut = random.Next(compressed.Length);
                return Case($"Content-Encoding {coding}, truncated to {cut}", Build("POST", path, [Json, $"Content-Encoding: {coding}"], compressed[..cut]), null);
            }
            case 5:
            {
                var header = BodyCases.Pick(random, "compress", "zstd", "gzip, br", "gzip,gzip", "br, identity, deflate", "foo", "gzip;q=1", "*", "identity, x");
                return Case($"Content-Encoding {header}", Build("POST", path, [Json, $"Content-Encoding: {header}"], json), new Expect(415, "unsupported_content_encoding", null));
            }
            case 6:
            {
                var header = BodyCases.Pick(random, "identity", "Identity", "identity, identity", "");
                return Case($"Content-Encoding '{header}' on a plain body", Build("POST", path, [Json, $"Content-Encoding: {header}"], json), new Expect(200));
            }
            case 7:
            {
                // A small compressed body that decodes past the request limit.
                var bomb = Compress(coding.ToLowerInvariant(), [.. "{\"model\":\"gpt-fuzz\",\"messages\":[],\"pad\":\""u8, .. Enumerable.Repeat((byte)'a', BodyCases.MaxRequestBodyBytes + 10), .. "\"}"u8]);
                return Case($"Content-Encoding {coding}, decodes past the limit", Build("POST", path, [Json, $"Content-Encoding: {coding}"], bomb), new Expect(413, "request_too_large", null));
            }
            default:
            {
                // Two Content-Encoding headers: two codings, which the gateway does not undo.
                return Case($"Content-Encoding {coding} twice", Build("POST", path, [Json, $"Content-Encoding: {coding}", $"Content-Encoding: {coding}"], Compress(coding.ToLowerInvariant(), compressed)),
                    new Expect(415, "unsupported_content_encoding", null));
            }
        }
    }

    private static RawCase Chunked(Random random)
    {
        var json = Encoding.UTF8.GetBytes(random.Next(3) == 0 ? ChatStream : Chat);
        var gzip = random.Next(4) == 0;
        var body = gzip ? Compress("gzip", json) : json;
        var chunks = new List<byte>();
        for (var at = 0; at < body.Length;)
        {
            var size = Math.Min(body.Length - at, random.Next(1, 40));
            var hex = size.ToString(random.Next(2) == 0 ? "x" : "X", CultureInfo.InvariantCulture);
            if (random.Next(5) == 0) hex = "00" + hex;
            chunks.AddRange(Encoding.ASCII.GetBytes(hex + (random.Next(6) == 0 ? ";ext=1" : "") + "\r\n"));
            chunks.AddRange(body.AsSpan(at, size).ToArray());
            chunks.AddRange("\r\n"u8.ToArray());
            at += size;
        }
        var headers = new List<string> { Json, "Transfer-Encoding: chunked" };
        if (gzip) headers.Add("Content-Encoding: gzip");
        var broken = random.Next(4);
        if (broken == 0)
        {
            // A chunk size that is not hex: the body cannot be read to its end.
            var bad = BodyCases.Pick(random, "zz\r\n", "-1\r\n", "1;\r\n", "FFFFFFFFFFFFFFFFFF\r\n", "\r\n");
            chunks.InsertRange(0, Encoding.ASCII.GetBytes(bad));
            return Case($"chunked with a bad chunk header {FuzzWire.Show(Encoding.ASCII.GetBytes(bad))}", Build("POST", "/v1/chat/completions", headers, [.. chunks, .. "0\r\n\r\n"u8], setLength: false),
                null) with { WellFramed = false };
        }
        var trailer = random.Next(4) == 0 ? "X-Trailer: 1\r\n" : "";
        return Case($"chunked{(gzip ? " gzip" : "")}", Build("POST", "/v1/chat/completions", headers, [.. chunks, .. Encoding.ASCII.GetBytes($"0\r\n{trailer}\r\n")], setLength: false), new Expect(200));
    }

    private static RawCase ContentLength(Random random)
    {
        var json = Encoding.UTF8.GetBytes(Chat);
        if (random.Next(2) == 0)
        {
            // Shorter than sent: the gateway reads a truncated object; the rest is a garbage next request it may refuse.
            var length = random.Next(json.Length);
            return Case($"Content-Length {length} of {json.Length} sent", Build("POST", "/v1/chat/completions", [Json, $"Content-Length: {length}"], json, setLength: false),
                new Expect(400, null, null));
        }
        var extra = random.Next(1, 1000);
        return Case($"Content-Length {json.Length + extra}, {json.Length} sent, then half-closed",
            Build("POST", "/v1/chat/completions", [Json, $"Content-Length: {json.Length + extra}"], json, setLength: false), new Expect(400)) with { HalfClose = true, MayGoUnanswered = true };
    }

    private static RawCase Paths(Random random)
    {
        var (path, expect) = BodyCases.Pick(random, ("/V1/CHAT/COMPLETIONS", new Expect(200)), ("/v1/Chat/Completions", new Expect(200)), ("/v1/chat/completions/", (Expect?)null),
            ("/v1/chat/completions?x=1&model=other", new Expect(200)), ("/v1/./chat/completions", null), ("/v1/chat/../chat/completions", null), ("//v1/chat/completions", null),
            ("/v1/chat%2Fcompletions", null), ("/v1/%63hat/completions", null), ("/v1/chat/completions%00", null), ("/v1/chat/complete", new Expect(404, null, null)),
            ("/v1/models/gpt-fuzz", new Expect(405, "method_not_allowed", null)), ("/v1/models", new Expect(405, "method_not_allowed", null)), ("/healthz", new Expect(405, "method_not_allowed", null)),
            ("/V1/EMBEDDINGS", new Expect(200)), ("/v1/chat/completions;x", null), ("/v1/chat/completions%2F", null), ("/%F0%9F%98%80", new Expect(404, null, null)),
            ("/v1/%FF%FE", new Expect(404, null, null)), ("/v1/\u00e9", null), ("*", null), ("http://127.0.0.1/v1/chat/completions", new Expect(200)));
        var body = path.Contains("EMBEDDINGS", StringComparison.Ordinal) ? """{"model":"text-embedding-fuzz","input":"hi"}""" : Chat;
        return Case($"POST {path}", Build("POST", path, [Json], Encoding.UTF8.GetBytes(body)), expect) with { WellFramed = expect is not null };
    }

    private static RawCase Methods(Random random)
    {
        var path = BodyCases.Pick(random, ForwardedPaths);
        if (random.Next(2) == 0) path = path.ToUpperInvariant();
        var method = BodyCases.Pick(random, "GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH", "TRACE", "FUZZ");
        var withBody = random.Next(2) == 0;
        var plain = withBody && random.Next(3) == 0;
        var headers = withBody ? new[] { plain ? "Content-Type: text/plain" : Json } : [];
        var request = Build(method, path, headers, withBody ? Encoding.UTF8.GetBytes(Chat) : []);
        var head = method == "HEAD";
        if (plain) return Case($"{method} {path} with a text body", request, new Expect(415, "unsupported_media_type", null)) with { IsHead = head };
        if (method == "OPTIONS")
            return Case($"OPTIONS {path}", request, new Expect(204)) with { Extra = r => r.Header("Allow") == "POST, OPTIONS" ? null : $"Allow is {r.Header("Allow")}" };
        return Case($"{method} {path}{(withBody ? " with a JSON body" : "")}", request, new Expect(405, "method_not_allowed", null)) with
        {
            IsHead = head,
            Extra = r => r.Header("Allow") == "POST, OPTIONS" ? null : $"Allow is {r.Header("Allow")}",
        };
    }

    private static RawCase HostAndOrigin(Random random, int port)
    {
        var json = Encoding.UTF8.GetBytes(Chat);
        if (random.Next(2) == 0)
        {
            var (host, expect) = BodyCases.Pick(random, ("localhost", new Expect(200)), ($"127.0.0.1:{port}", new Expect(200)), ("[::1]", new Expect(200)), ("api.localhost", new Expect(200)),
                ("", new Expect(200)), ("evil.example", new Expect(403, "host_not_allowed", null)), ("127.0.0.1.nip.io", new Expect(403, "host_not_allowed", null)),
                ("LOCALHOST:1", new Expect(200)), ("2130706433", (Expect?)null), ("127.1", null), ("[::ffff:127.0.0.1]", new Expect(200)), ("local host", null), ("a..b", null));
            var request = Build("POST", "/v1/chat/completions", [Json], json, host: host);
            return Case($"Host '{host}'", request, expect) with { WellFramed = expect is not null };
        }
        // The request's Host is 127.0.0.1 without a port, so that is the same origin; with the port it is another.
        var (origin, expected) = BodyCases.Pick(random, ("http://127.0.0.1", new Expect(200)), ("HTTP://127.0.0.1", new Expect(200)),
            ("http://evil.example", new Expect(403, "origin_not_allowed", null)), ("null", new Expect(403, "origin_not_allowed", null)),
            ($"http://127.0.0.1:{port}", new Expect(403, "origin_not_allowed", null)), ("https://127.0.0.1", new Expect(403, "origin_not_allowed", null)), ("", new Expect(200)));
        return Case($"Origin '{origin}'", Build("POST", "/v1/chat/completions", [Json, $"Origin: {origin}"], json), expected);
    }

    private static RawCase Headers(Random random)
    {
        var json = Encoding.UTF8.GetBytes(random.Next(3) == 0 ? ChatStream : Chat);
        var lines = new List<byte[]> { Encoding.ASCII.GetBytes(Json) };
        var framed = true;
        var names = new[] { "Content-Encoding", "Content-Type", "Transfer-Encoding", "Origin", "Expect", "Connection", "Authorization", "Accept", "Accept-Encoding", "Cookie", "X-Forwarded-For", "Forwarded", "X-Fuzz", "Range", "If-None-Match", "Upgrade" };
        for (int i = 0, n = random.Next(1, 4); i < n; i++)
        {
            var name = random.Next(4) == 0 ? RandomToken(random) : names[random.Next(names.Length)];
            var value = new byte[random.Next(0, 40)];
            for (var j = 0; j < value.Length; j++)
            {
                value[j] = random.Next(8) == 0 ? (byte)random.Next(256) : (byte)random.Next(0x20, 0x7F);
                if (value[j] is (byte)'\r' or (byte)'\n') value[j] = (byte)' ';
                if (value[j] is < 0x20 and not (byte)'\t' or 0x7F or >= 0x80) framed = false;
            }
            lines.Add([.. Encoding.ASCII.GetBytes(name + ": "), .. value]);
            if (name is "Transfer-Encoding" or "Content-Type" or "Content-Encoding" or "Expect" or "Connection" or "Upgrade") framed = false;
        }
        var request = BuildRaw("POST", "/v1/chat/completions", lines, json);
        return Case("random headers", request, null) with { WellFramed = framed };
    }

    private static RawCase Framing(Random random)
    {
        var json = Encoding.UTF8.GetBytes(Chat);
        switch (random.Next(7))
        {
            case 0:
                return Case("Expect: 100-continue", Build("POST", "/v1/chat/completions", [Json, "Expect: 100-continue"], json), new Expect(200));
            case 1:
            {
                var request = Encoding.UTF8.GetBytes($"POST /v1/chat/completions HTTP/1.0\r\nContent-Type: application/json\r\nContent-Length: {json.Length}\r\n\r\n");
                return Case("HTTP/1.0 without Host", [.. request, .. json], new Expect(200));
            }
            case 2:
                return Case("an empty body declared gzip", Build("POST", "/v1/chat/completions", [Json, "Content-Encoding: gzip"], []), new Expect(400));
            case 3:
                return Case("a 40 KiB header", Build("POST", "/v1/chat/completions", [Json, "X-Big: " + new string('b', 40 * 1024)], json), null) with { WellFramed = false };
            case 4:
                return Case("Content-Type twice", Build("POST", "/v1/chat/completions", [Json, Json], json), null);
            case 5:
            {
                var length = BodyCases.Pick(random, $"00{json.Length}", $"{json.Length}, {json.Length}", "-1", "abc", $"{json.Length} ", "99999999999999999999");
                return Case($"Content-Length '{length}'", Build("POST", "/v1/chat/completions", [Json, $"Content-Length: {length}"], json, setLength: false), null) with
                {
                    WellFramed = false,
                    HalfClose = true,
                    MayGoUnanswered = true,
                };
            }
            default:
            {
                var headers = Enumerable.Range(0, random.Next(50, 150)).Select(i => $"X-Many-{i}: {i}").Prepend(Json).ToList();
                return Case($"{headers.Count} headers", Build("POST", "/v1/chat/completions", headers, json), null) with { WellFramed = false };
            }
        }
    }

    /// <summary>Client text the gateway echoes in error messages, long enough to be cut — with multi-byte characters where it is cut.</summary>
    private static RawCase LongEchoes(Random random)
    {
        var emoji = string.Concat(Enumerable.Repeat("😀", random.Next(100, 300)));
        var prefix = new string('a', random.Next(0, 3));
        switch (random.Next(4))
        {
            case 0:
            {
                var type = "text/" + prefix + emoji;
                return Case("long non-ASCII Content-Type", Build("POST", "/v1/chat/completions", [$"Content-Type: {type}"], Encoding.UTF8.GetBytes(Chat)), null) with { WellFramed = false };
            }
            case 1:
            {
                var path = "/v1/" + prefix + string.Concat(Enumerable.Repeat("%F0%9F%98%80", random.Next(100, 300)));
                return Case("long path of percent-encoded emoji", Build(BodyCases.Pick(random, "GET", "POST", "DELETE"), path, [Json], Encoding.UTF8.GetBytes(Chat)), new Expect(404, null, null));
            }
            case 2:
            {
                var path = "/v1/" + prefix + string.Concat(Enumerable.Repeat("%FF%C0%80", random.Next(100, 300)));
                return Case("long path of invalid UTF-8", Build("GET", path, [], []), new Expect(404, null, null));
            }
            default:
            {
                var coding = prefix + string.Concat(Enumerable.Repeat("gzip", random.Next(100, 300)));
                return Case("long Content-Encoding", Build("POST", "/v1/chat/completions", [Json, $"Content-Encoding: {coding}"], Encoding.UTF8.GetBytes(Chat)),
                    new Expect(415, "unsupported_content_encoding", null));
            }
        }
    }

    private const string Json = "Content-Type: application/json";

    private static string RandomToken(Random random)
    {
        const string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-.^_`|~";
        return new string(Enumerable.Range(0, random.Next(1, 20)).Select(_ => chars[random.Next(chars.Length)]).ToArray());
    }

    private static byte[] Build(string method, string target, IEnumerable<string> headers, byte[] body, bool setLength = true, string host = "127.0.0.1") =>
        BuildRaw(method, target, headers.Select(Encoding.UTF8.GetBytes).ToList(), body, setLength, host);

    private static byte[] BuildRaw(string method, string target, List<byte[]> headers, byte[] body, bool setLength = true, string host = "127.0.0.1")
    {
        var request = new List<byte>(Encoding.UTF8.GetBytes($"{method} {target} HTTP/1.1\r\nHost: {host}\r\n"));
        foreach (var header in headers) request.AddRange([.. header, .. "\r\n"u8]);
        if (setLength && (body.Length > 0 || method is "POST" or "PUT" or "PATCH")) request.AddRange(Encoding.ASCII.GetBytes($"Content-Length: {body.Length}\r\n"));
        request.AddRange("\r\n"u8.ToArray());
        request.AddRange(body);
        return [.. request];
    }

    private static byte[] Compress(string coding, byte[] data)
    {
        using var output = new MemoryStream();
        using (Stream compressor = coding switch
        {
            "gzip" or "x-gzip" => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
            "deflate" => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
            _ => new BrotliStream(output, CompressionLevel.Fastest, leaveOpen: true),
        })
        {
            compressor.Write(data);
        }
        return output.ToArray();
    }
}
