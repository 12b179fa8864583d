using System.Globalization;
using System.Text;
using System.Text.Json;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.Fuzz;

/// <summary>What a case must produce besides the properties every case has. <see cref="Any"/> leaves code or param unchecked.</summary>
internal sealed record Expect(int Status, string? Code = Expect.Any, string? Param = Expect.Any)
{
    public const string Any = "\u0000any";
}

/// <summary>The properties every fuzzed answer must have, and a strict reader for the event streams the gateway writes.</summary>
internal static class FuzzWire
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Null when the answer is acceptable; otherwise what is wrong with it.</summary>
    public static string? CheckResponse(int status, string? mediaType, byte[] body, Expect? expected, bool errorHasBody)
    {
        if (status >= 500) return $"a {status} for a client's input";
        if (expected is not null && status != expected.Status) return $"expected status {expected.Status}, got {status}";
        if (status >= 400)
        {
            if (body.Length == 0) return errorHasBody ? "an error without a body" : null;
            if (mediaType != "application/json") return $"an error served as {mediaType ?? "(no Content-Type)"}";
            JsonElement error;
            try
            {
                error = OpenAiErrors.AssertShape(StrictUtf8.GetString(body));
            }
            catch (Exception e)
            {
                return $"an error not in OpenAI's shape: {e.Message}";
            }
            var code = error.GetProperty("code").GetString();
            if (code == WellBehavedUpstream.MalformedCode) return $"the gateway forwarded a body the upstream could not use: {error.GetProperty("message").GetString()}";
            if (expected is not null && expected.Code != Expect.Any && code != expected.Code) return $"expected code {expected.Code ?? "null"}, got {code ?? "null"}";
            var param = error.GetProperty("param").GetString();
            if (expected is not null && expected.Param != Expect.Any && param != expected.Param) return $"expected param {expected.Param ?? "null"}, got {param ?? "null"}";
            return null;
        }
        if (status is >= 200 and < 300)
        {
            if (mediaType == "text/event-stream") return CheckEventStream(body, mustEndWithDone: true).Problem;
            if (body.Length == 0) return null;    // 204 to OPTIONS, 200 to HEAD
            if (mediaType != "application/json") return $"a success served as {mediaType ?? "(no Content-Type)"}";
            return IsJsonObject(body) ? null : "a success body that is not a JSON object";
        }
        return null;
    }

    public static bool IsJsonObject(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 512 });
            using var document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object && reader.BytesConsumed == json.TrimEnd(" \t\r\n"u8).Length;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>
    /// Reads a relayed event stream as an SSE client would (an event's <c>data</c> lines joined with line feeds), and
    /// stricter: the gateway writes only <c>data: …</c> lines, so any other line is part of an event's data that a
    /// client would drop. Every event must be a JSON object or <c>[DONE]</c>, <c>[DONE]</c> only last; the stream must
    /// end with <c>[DONE]</c> or (unless <paramref name="mustEndWithDone"/>) with an error event in OpenAI's shape.
    /// </summary>
    public static (string? Problem, List<string> Events) CheckEventStream(byte[] body, bool mustEndWithDone)
    {
        var events = new List<string>();
        string text;
        try
        {
            text = StrictUtf8.GetString(body);
        }
        catch (DecoderFallbackException)
        {
            return ("the event stream is not valid UTF-8", events);
        }
        if (text.Length == 0) return ("an empty event stream", events);
        if (!text.EndsWith("\n\n", StringComparison.Ordinal)) return ("the event stream does not end with a complete event", events);
        foreach (var block in text[..^2].Split("\n\n"))
        {
            var data = new StringBuilder();
            foreach (var line in block.Split('\n'))
            {
                if (!line.StartsWith("data: ", StringComparison.Ordinal)) return ($"a line that is not a data line, which a client drops: {Show(Encoding.UTF8.GetBytes(line), 120)}", events);
                if (data.Length > 0) data.Append('\n');
                data.Append(line, 6, line.Length - 6);
            }
            events.Add(data.ToString());
        }
        for (var i = 0; i < events.Count; i++)
        {
            if (events[i] == "[DONE]")
            {
                if (i != events.Count - 1) return ("[DONE] before the last event", events);
                continue;
            }
            if (!IsJsonObject(Encoding.UTF8.GetBytes(events[i]))) return ($"event {i} is not a JSON object: {Show(Encoding.UTF8.GetBytes(events[i]), 200)}", events);
            if (i != events.Count - 1 && IsErrorEvent(events[i])) return ($"the stream went on after error event {i}", events);
        }
        if (events[^1] == "[DONE]") return (null, events);
        if (mustEndWithDone) return ($"the stream ends without [DONE]: {Show(Encoding.UTF8.GetBytes(events[^1]), 200)}", events);
        if (!IsErrorEvent(events[^1])) return ($"the stream ends with neither [DONE] nor an error event: {Show(Encoding.UTF8.GetBytes(events[^1]), 200)}", events);
        try
        {
            OpenAiErrors.AssertShape(events[^1]);
        }
        catch (Exception e)
        {
            return ($"the stream's final error event is not in OpenAI's shape: {e.Message}", events);
        }
        return (null, events);
    }

    public static bool IsErrorEvent(string data)
    {
        using var document = JsonDocument.Parse(data, new JsonDocumentOptions { MaxDepth = 512 });
        return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error", out var error) && error.ValueKind != JsonValueKind.Null;
    }

    /// <summary>Bytes as printable ASCII with everything else escaped, truncated: enough to see and replay an input.</summary>
    public static string Show(ReadOnlySpan<byte> bytes, int max = 400)
    {
        var text = new StringBuilder();
        foreach (var b in bytes[..Math.Min(max, bytes.Length)])
        {
            if (b == (byte)'\\') text.Append(@"\\");
            else if (b is >= 0x20 and < 0x7f) text.Append((char)b);
            else text.Append(CultureInfo.InvariantCulture, $"\\x{b:X2}");
        }
        if (bytes.Length > max) text.Append(CultureInfo.InvariantCulture, $"…({bytes.Length} bytes)");
        return text.ToString();
    }

    public static void AssertNoFailures(IEnumerable<(int Seed, int Number, string Text)> failures, int total)
    {
        var sorted = failures.OrderBy(f => f.Seed).ThenBy(f => f.Number).ToList();
        if (sorted.Count == 0) return;
        Assert.Fail($"{sorted.Count} of {total} cases failed; the first {Math.Min(10, sorted.Count)}:\n" + string.Join("\n", sorted.Take(10).Select(f => f.Text)));
    }
}

internal static class FuzzJson
{
    /// <summary>Writes characters as themselves (not \u escapes), so a case's body shows what a client would type; control characters are still escaped.</summary>
    public static readonly JsonSerializerOptions Relaxed = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
