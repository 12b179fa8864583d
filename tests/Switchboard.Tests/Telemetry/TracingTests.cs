using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Telemetry;

/// <summary>Request spans, as OpenTelemetry's pipeline hands them to an exporter: their shape, attributes, and what they never carry.</summary>
public sealed class TracingTests
{
    private const string Prompt = "a prompt nobody may read in a trace";

    [Fact]
    public async Task A_request_has_a_span_with_authentication_admission_each_upstream_attempt_and_the_relay()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("tr-retry", x => x.CallNumber == 1 ? x.Json(500, Error("boom", "server_error", null)) : x.Json(200, Completion("second", prompt: 11, completion: 4)));
        upstream.On("tr-stream", x => StreamAnswer(x, "a", "b"));
        upstream.On("tr-off", x => x.Json(200, Completion("untraced")));
        upstream.On("tr-marker", x => x.Json(200, Completion("marker")));
        var spans = new SpanCollector();
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Providers:tr-up:BaseUrl"] = upstream.BaseUrl + "/v1",
            ["Switchboard:Providers:tr-up:Models:0"] = "tr-*",
            ["Switchboard:Providers:tr-up:Retry:BaseDelay"] = "10ms",
            // Nothing listens there: the OTLP exporter's failures are its own, and the collector below sees every span.
            ["Switchboard:Tracing:OtlpEndpoint"] = "http://127.0.0.1:9",
        };
        await using var gateway = await GatewayHost.StartAsync(settings,
            configureServices: services => services.AddOpenTelemetry().WithTracing(tracing => tracing.AddProcessor(spans)));

        var answer = await gateway.Sdk("sk-a-key-nobody-may-read").GetChatClient("tr-retry").CompleteChatAsync(Prompt);
        Assert.Equal("second", answer.Value.Content[0].Text);
        var request = await spans.WaitForAsync(s => s.Kind == ActivityKind.Server && (string?)s.GetTagItem("gen_ai.request.model") == "tr-retry");

        Assert.Equal("chat tr-retry", request.DisplayName);
        Assert.Equal(("chat", "tr-up", "tr-retry", 11, 4, 200), ((string?)request.GetTagItem("gen_ai.operation.name"), (string?)request.GetTagItem("gen_ai.provider.name"),
            (string?)request.GetTagItem("gen_ai.response.model"), (int?)request.GetTagItem("gen_ai.usage.input_tokens"), (int?)request.GetTagItem("gen_ai.usage.output_tokens"),
            (int?)request.GetTagItem("http.response.status_code")));
        var children = spans.All.Where(s => s.ParentSpanId == request.SpanId).OrderBy(s => s.StartTimeUtc).ToList();
        Assert.Equal(["authenticate", "admission", "upstream tr-up", "upstream tr-up", "relay"], children.Select(s => s.DisplayName));
        Assert.All(children, child => Assert.Equal(request.TraceId, child.TraceId));
        var attempts = children.Where(s => s.DisplayName == "upstream tr-up").ToList();
        Assert.Equal([(1, 500, ActivityStatusCode.Error), (2, 200, ActivityStatusCode.Unset)],
            attempts.Select(a => ((int)a.GetTagItem("switchboard.attempt")!, (int)a.GetTagItem("http.response.status_code")!, a.Status)));
        Assert.Equal(ActivityKind.Client, attempts[0].Kind);

        // A client's own trace is continued: the span is its child, in its trace.
        using (var traced = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"tr-retry","messages":[{"role":"user","content":"hi"}]}""", System.Text.Encoding.UTF8, "application/json"),
            Headers = { { "traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" } },
        })
        using (var response = await gateway.Http.SendAsync(traced))
            Assert.True(response.IsSuccessStatusCode);
        var continued = await spans.WaitForAsync(s => s.Kind == ActivityKind.Server && s.TraceId.ToHexString() == "0af7651916cd43dd8448eb211c80319c");
        Assert.Equal("b7ad6b7169203331", continued.ParentSpanId.ToHexString());

        // A stream's span ends with the stream, with its usage.
        await foreach (var _ in gateway.Sdk().GetChatClient("tr-stream").CompleteChatStreamingAsync([Prompt])) { }
        var streamed = await spans.WaitForAsync(s => s.Kind == ActivityKind.Server && (string?)s.GetTagItem("gen_ai.request.model") == "tr-stream");
        Assert.Equal((5, 2), ((int?)streamed.GetTagItem("gen_ai.usage.input_tokens"), (int?)streamed.GetTagItem("gen_ai.usage.output_tokens")));

        // No span carries prompt text or a key, in its name or any attribute.
        foreach (var span in spans.All)
        {
            foreach (var (key, value) in span.TagObjects.Select(t => (t.Key, t.Value?.ToString() ?? "")).Append(("name", span.DisplayName)))
            {
                Assert.DoesNotContain("nobody may read", value, StringComparison.Ordinal);
                Assert.DoesNotContain("sk-", value, StringComparison.Ordinal);
            }
        }

        // A gateway without an OTLP endpoint makes no spans, even with a listener in the process.
        settings.Remove("Switchboard:Tracing:OtlpEndpoint");
        await using (var untraced = await GatewayHost.StartAsync(settings))
            Assert.Equal("untraced", (await untraced.Sdk().GetChatClient("tr-off").CompleteChatAsync(Prompt)).Value.Content[0].Text);
        // A later request on the traced gateway: once its span has ended, the untraced one's would have too.
        await gateway.Sdk().GetChatClient("tr-marker").CompleteChatAsync(Prompt);
        await spans.WaitForAsync(s => s.Kind == ActivityKind.Server && (string?)s.GetTagItem("gen_ai.request.model") == "tr-marker");
        Assert.DoesNotContain(spans.All, s => s.TagObjects.Any(t => t.Value as string == "tr-off"));
    }

    [Fact]
    public async Task A_bad_otlp_endpoint_or_protocol_is_refused_at_startup_naming_the_key()
    {
        var error = await Assert.ThrowsAsync<Switchboard.Configuration.ConfigurationException>(() => GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Tracing:OtlpEndpoint"] = "collector:4318",
            ["Switchboard:Tracing:Protocol"] = "thrift",
        }));
        Assert.Contains("Switchboard:Tracing:OtlpEndpoint", error.Message, StringComparison.Ordinal);
        Assert.Contains("Switchboard:Tracing:Protocol", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Every span the gateway's tracer provider ends, and a way to wait for one without polling.</summary>
    private sealed class SpanCollector : BaseProcessor<Activity>
    {
        private readonly ConcurrentQueue<Activity> _ended = new();
        private readonly List<(Func<Activity, bool> Match, TaskCompletionSource<Activity> Found)> _waiting = [];
        private readonly Lock _lock = new();

        public IReadOnlyList<Activity> All => [.. _ended];

        public override void OnEnd(Activity data)
        {
            lock (_lock)
            {
                _ended.Enqueue(data);
                foreach (var waiter in _waiting.Where(w => w.Match(data)).ToList())
                {
                    _waiting.Remove(waiter);
                    waiter.Found.TrySetResult(data);
                }
            }
        }

        public Task<Activity> WaitForAsync(Func<Activity, bool> match)
        {
            lock (_lock)
            {
                if (_ended.FirstOrDefault(match) is { } already) return Task.FromResult(already);
                var found = new TaskCompletionSource<Activity>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting.Add((match, found));
                return found.Task.WaitAsync(TimeSpan.FromSeconds(30));
            }
        }
    }
}
