using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Switchboard.Inference.Tests;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.Fuzz;

/// <summary>
/// "Never a 5xx from a client's input", for local models: seeded requests whose every field the local path reads
/// gets values of every type and range (and goes missing), to a real gateway serving stories260K with a small
/// context. Any 5xx, any error not in OpenAI's shape, or a gateway that stops serving fails with the seed and input.
/// </summary>
public sealed class LocalRequestFuzzTests
{
    private static readonly string[] Values =
    [
        "null", "true", "false", "0", "-1", "1", "2", "3.5", "1e308", "-1e308", "2147483647", "2147483648", "9223372036854775807", "-0.0",
        "\"\"", "\"x\"", "\"\\ud800\"", "\"\\u0000\"", "[]", "[1]", "[\"a\",\"b\",\"c\",\"d\",\"e\"]", "[null]", "{}", "{\"1\":5}",
        "{\"999999\":1}", "{\"x\":1}", "{\"3\":-101}", "{\"type\":\"json_object\"}", "{\"type\":\"text\"}",
    ];

    private static readonly string[] ChatFields = ["messages", "max_tokens", "max_completion_tokens", "temperature", "top_p", "seed", "stop", "logit_bias",
        "n", "logprobs", "top_logprobs", "tools", "tool_choice", "response_format", "frequency_penalty", "presence_penalty", "stream", "stream_options", "user"];

    private static readonly string[] Messages =
    [
        "[{\"role\":\"user\",\"content\":\"Once upon a time\"}]",
        "[{\"role\":\"system\",\"content\":\"s\"},{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}]",
        "[{\"role\":\"developer\",\"content\":null},{\"role\":\"assistant\",\"content\":\"\"}]",
        "[{\"role\":\"tool\",\"content\":\"x\",\"tool_call_id\":\"1\"}]",
        "[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":{\"url\":\"http://x\"}}]}]",
        "[{\"role\":\"wizard\",\"content\":\"x\"}]", "[{}]", "[1]", "[]", "[{\"role\":\"user\",\"content\":{\"a\":1}}]",
        "[{\"role\":\"user\",\"content\":\"" + new string('a', 5000) + "\"}]",
        "[{\"role\":\"user\",\"content\":\"\\ud83d\\ude00 \\u4f60\\u597d \\udfff\"}]",
    ];

    [ModelFact]
    public async Task Mutated_local_requests_never_get_a_5xx_and_errors_are_openai_shaped()
    {
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Local:ModelsDirectory"] = TestModels.Directory,
            ["Switchboard:Local:MaxContextTokens"] = "96",
            ["Switchboard:Local:MaxQueuedRequests"] = "64",
        });
        var cases = new List<(int Seed, string Path, string Body)>();
        foreach (var seed in new[] { 31, 32, 33 })
        {
            var random = new Random(seed);
            for (var i = 0; i < 150; i++)
            {
                var chat = random.Next(4) != 0;
                var fields = new Dictionary<string, string>
                {
                    ["model"] = random.Next(20) == 0 ? "\"local/stories260K\\u0000\"" : "\"local/stories260K\"",
                    [chat ? "messages" : "prompt"] = chat ? Messages[random.Next(Messages.Length)] : Values[random.Next(Values.Length)],
                    ["max_tokens"] = random.Next(8).ToString(System.Globalization.CultureInfo.InvariantCulture),
                };
                for (var n = random.Next(1, 5); n > 0; n--) fields[ChatFields[random.Next(ChatFields.Length)]] = random.Next(3) == 0 && chat ? Messages[random.Next(Messages.Length)] : Values[random.Next(Values.Length)];
                if (random.Next(6) == 0) fields.Remove(chat ? "messages" : "prompt");
                cases.Add((seed, chat ? "/v1/chat/completions" : "/v1/completions", "{" + string.Join(",", fields.Select(f => $"\"{f.Key}\":{f.Value}")) + "}"));
            }
        }

        var failures = new ConcurrentBag<string>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (c, cancellationToken) =>
        {
            using var response = await gateway.Http.PostAsync(c.Path, new StringContent(c.Body, Encoding.UTF8, "application/json"), cancellationToken);
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            var status = (int)response.StatusCode;
            string? problem = null;
            if (status >= 500) problem = $"status {status}";
            else if (status >= 400)
            {
                try
                {
                    OpenAiErrors.AssertShape(text);
                }
                catch (Exception e) when (e is JsonException or Xunit.Sdk.XunitException)
                {
                    problem = $"error not in OpenAI's shape: {e.Message}";
                }
            }
            else if (response.Content.Headers.ContentType?.MediaType == "text/event-stream" && text.Contains("\"error\"", StringComparison.Ordinal))
            {
                problem = "a stream that ended in an error event";
            }
            if (problem is not null) failures.Add($"seed {c.Seed} POST {c.Path}: {problem}\n    input: {c.Body[..Math.Min(300, c.Body.Length)]}\n    answer: {status} {text[..Math.Min(300, text.Length)]}");
        });

        Assert.True(failures.IsEmpty, $"{failures.Count} of {cases.Count} cases failed:\n{string.Join("\n", failures.Take(10))}");
        using var health = await gateway.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
