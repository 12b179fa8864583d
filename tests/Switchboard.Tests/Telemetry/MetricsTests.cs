using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Telemetry;

/// <summary>/metrics in Prometheus's text format: what a scrape shows after requests of every kind, and who may scrape.</summary>
public sealed partial class MetricsTests
{
    private const string Master = "sk-master-for-tests";

    // Model and provider names of their own, so a series found is this test's whatever else runs in the process.
    private static Dictionary<string, string?> Settings(ScriptedUpstream upstream, params (string Key, string? Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Switchboard:Providers:mx-up:BaseUrl"] = upstream.BaseUrl + "/v1",
            ["Switchboard:Providers:mx-up:Models:0"] = "mx-*",
            ["Switchboard:Providers:mx-up:Retry:BaseDelay"] = "10ms",
            ["Switchboard:Providers:mx-up:CircuitBreaker:FailureThreshold"] = "1000",
            ["Switchboard:Providers:mx-dead:BaseUrl"] = "http://127.0.0.1:9/v1",
            ["Switchboard:Providers:mx-dead:Retry:MaxRetries"] = "0",
            ["Switchboard:Providers:mx-dead:CircuitBreaker:FailureThreshold"] = "1000",
            ["Switchboard:Models:mx-fallback:Providers:0"] = "mx-dead:mx-fallback",
            ["Switchboard:Models:mx-fallback:Providers:1"] = "mx-up:mx-fallback",
            ["Switchboard:Prices:mx-chat:Input"] = "2",
            ["Switchboard:Prices:mx-chat:Output"] = "8",
        };
        foreach (var (key, value) in more) settings["Switchboard:" + key] = value;
        return settings;
    }

    [Fact]
    public async Task A_scrape_counts_requests_tokens_cost_retries_fallbacks_and_streams_as_they_happened()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("mx-chat", x => x.Json(200, Completion("hi", prompt: 1000, completion: 500)));
        upstream.On("mx-stream", x => StreamAnswer(x, "a", "b", "c"));
        upstream.On("mx-retry", x => x.CallNumber == 1 ? x.Json(500, Error("boom", "server_error", null)) : x.Json(200, Completion("second")));
        upstream.On("mx-fallback", x => x.Json(200, Completion("from the second provider")));
        var streamHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        upstream.On("mx-held", async x =>
        {
            await x.StartSse();
            await x.Event(RoleChunk());
            await x.Event(ContentChunk("x"));
            await streamHeld.Task.WaitAsync(x.Aborted);
            await x.Event(FinishChunkWithUsage(3, 1));
            await x.Done();
        });
        await using var gateway = await GatewayHost.StartAsync(Settings(upstream));
        var sdk = gateway.Sdk();

        await sdk.GetChatClient("mx-chat").CompleteChatAsync("one");
        await sdk.GetChatClient("mx-chat").CompleteChatAsync("two");
        await foreach (var _ in sdk.GetChatClient("mx-stream").CompleteChatStreamingAsync(["three"])) { }
        Assert.Equal("second", (await sdk.GetChatClient("mx-retry").CompleteChatAsync("four")).Value.Content[0].Text);
        Assert.Equal("from the second provider", (await sdk.GetChatClient("mx-fallback").CompleteChatAsync("five")).Value.Content[0].Text);
        using var missing = await gateway.Http.PostAsync("/v1/chat/completions", new StringContent("""{"model":"nobody-serves-this","messages":[]}""", MediaTypeHeaderValue.Parse("application/json")));
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);

        // While a stream is being relayed it is counted open; once it ends, not.
        await using (var held = sdk.GetChatClient("mx-held").CompleteChatStreamingAsync(["six"]).GetAsyncEnumerator())
        {
            while (await held.MoveNextAsync() && held.Current.ContentUpdate.Count == 0) { }
            Assert.Equal(1, Value(await ScrapeAsync(gateway), "switchboard_streams_open", ("gen_ai_provider_name", "mx-up")));
            streamHeld.SetResult();
            while (await held.MoveNextAsync()) { }
        }

        var scrape = await ScrapeAsync(gateway);
        var chat = new[] { ("gen_ai_request_model", "mx-chat"), ("gen_ai_provider_name", "mx-up"), ("gen_ai_operation_name", "chat") };
        Assert.Equal(2, Value(scrape, "gen_ai_server_request_duration_seconds_count", [.. chat, ("http_response_status_code", "200")]));
        Assert.Equal(2000, Value(scrape, "gen_ai_client_token_usage_sum", [.. chat, ("gen_ai_token_type", "input")]));
        Assert.Equal(1000, Value(scrape, "gen_ai_client_token_usage_sum", [.. chat, ("gen_ai_token_type", "output")]));
        // 2 × (1000 × $2 + 500 × $8) per million tokens.
        Assert.Equal(0.012, Value(scrape, "switchboard_cost_total", chat)!.Value, 9);
        Assert.Equal(1, Value(scrape, "gen_ai_server_time_to_first_token_seconds_count", ("gen_ai_request_model", "mx-stream")));
        Assert.Equal(3, Value(scrape, "gen_ai_client_token_usage_sum", ("gen_ai_request_model", "mx-stream"), ("gen_ai_token_type", "output")));
        Assert.Null(Value(scrape, "gen_ai_server_time_to_first_token_seconds_count", ("gen_ai_request_model", "mx-chat")));
        Assert.Equal(1, Value(scrape, "switchboard_upstream_retries_total", ("gen_ai_provider_name", "mx-up"), ("gen_ai_request_model", "mx-retry")));
        Assert.Equal(1, Value(scrape, "switchboard_upstream_fallbacks_total", ("gen_ai_provider_name", "mx-dead"), ("gen_ai_request_model", "mx-fallback")));
        Assert.Null(Value(scrape, "switchboard_upstream_fallbacks_total", ("gen_ai_request_model", "mx-retry")));
        // A model nobody serves is counted without its name: clients cannot mint series.
        Assert.Equal(1, Value(scrape, "gen_ai_server_request_duration_seconds_count", ("gen_ai_request_model", "unrouted"), ("http_response_status_code", "404")));
        Assert.DoesNotContain("nobody-serves-this", scrape, StringComparison.Ordinal);
        Assert.Equal(0, Value(scrape, "switchboard_provider_circuit_state", ("gen_ai_provider_name", "mx-up")));
        // The stream is counted closed once the relay returns, a moment after the client has read [DONE].
        var waited = Stopwatch.StartNew();
        while (Value(scrape, "switchboard_streams_open", ("gen_ai_provider_name", "mx-up")) != 0 && waited.Elapsed < TimeSpan.FromSeconds(10))
            scrape = await ScrapeAsync(gateway);
        Assert.Equal(0, Value(scrape, "switchboard_streams_open", ("gen_ai_provider_name", "mx-up")));
        Assert.NotNull(Value(scrape, "switchboard_ledger_queue_depth"));
        Assert.InRange(Value(scrape, "switchboard_ledger_write_lag_seconds")!.Value, 0, 60);
        // A histogram's buckets are cumulative and end at +Inf with the count.
        Assert.Equal(2, Value(scrape, "gen_ai_server_request_duration_seconds_bucket", [.. chat, ("http_response_status_code", "200"), ("le", "+Inf")]));
        // Nothing a client sent is in it: no prompt text, no key.
        Assert.DoesNotContain("three", scrape, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_runtime_s_own_measures_are_in_the_scrape_and_allocation_grows_with_requests()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("mx-runtime", x => x.Json(200, Completion("hi")));
        await using var gateway = await GatewayHost.StartAsync(Settings(upstream));
        var before = Value(await ScrapeAsync(gateway), "dotnet_gc_heap_total_allocated_bytes_total");
        Assert.NotNull(before);
        for (var i = 0; i < 3; i++) await gateway.Sdk().GetChatClient("mx-runtime").CompleteChatAsync("hi");
        var scrape = await ScrapeAsync(gateway);
        // What the benchmarks divide by requests served: bytes allocated per request.
        Assert.True(Value(scrape, "dotnet_gc_heap_total_allocated_bytes_total") > before);
        Assert.NotNull(Value(scrape, "dotnet_thread_pool_thread_count_total"));
        Assert.Contains("dotnet_gc_collections_total{", scrape, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_master_key_only_admin_callers_may_scrape_and_metrics_can_be_turned_off()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        await using (var gateway = await GatewayHost.StartAsync(Settings(upstream, ("MasterKey", Master))))
        {
            using var anonymous = await gateway.Http.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
            using var request = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { Authorization = new("Bearer", Master) } };
            using var admitted = await gateway.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, admitted.StatusCode);
            Assert.Contains("switchboard_provider_circuit_state", await admitted.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        await using var off = await GatewayHost.StartAsync(Settings(upstream, ("Metrics:Enabled", "false")));
        using var gone = await off.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
    }

    [Fact]
    public async Task A_metrics_address_of_its_own_serves_metrics_only_and_the_api_port_serves_none()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("mx-port", x => x.Json(200, Completion("api")));
        var port = FreePort();
        await using var gateway = await GatewayHost.StartAsync(Settings(upstream, ("Metrics:Url", $"http://127.0.0.1:{port}")));
        Assert.Equal("api", (await gateway.Sdk().GetChatClient("mx-port").CompleteChatAsync("hi")).Value.Content[0].Text);
        using (var onApiPort = await gateway.Http.GetAsync("/metrics"))
            Assert.Equal(HttpStatusCode.NotFound, onApiPort.StatusCode);

        using var metricsPort = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        using (var scrape = await metricsPort.GetAsync("/metrics"))
        {
            Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
            Assert.Contains("gen_ai_request_model=\"mx-port\"", await scrape.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
        using (var api = await metricsPort.PostAsync("/v1/chat/completions", new StringContent("""{"model":"mx-port","messages":[]}""", MediaTypeHeaderValue.Parse("application/json"))))
            Assert.Equal(HttpStatusCode.NotFound, api.StatusCode);
        Assert.Single(upstream.CallsFor("mx-port"));

        var refused = await Assert.ThrowsAsync<Switchboard.Configuration.ConfigurationException>(() => GatewayHost.StartAsync(Settings(upstream, ("Metrics:Url", "http://127.0.0.1/metrics"))));
        Assert.Contains("Switchboard:Metrics:Url", refused.Message, StringComparison.Ordinal);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task<string> ScrapeAsync(GatewayHost gateway)
    {
        using var response = await gateway.Http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var text = await response.Content.ReadAsStringAsync();
        // Every line is a comment or a well-formed sample: the exposition parses.
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            Assert.True(line.StartsWith('#') || Sample().IsMatch(line), $"not a sample: {line}");
        return text;
    }

    /// <summary>The value of the one sample named <paramref name="name"/> whose labels include <paramref name="labels"/>; null when none.</summary>
    private static double? Value(string exposition, string name, params (string Label, string Value)[] labels)
    {
        double? found = null;
        foreach (var line in exposition.Split('\n'))
        {
            var sample = Sample().Match(line);
            if (!sample.Success || sample.Groups["name"].Value != name) continue;
            var have = Label().Matches(sample.Groups["labels"].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            if (!labels.All(l => have.TryGetValue(l.Label, out var v) && v == l.Value)) continue;
            Assert.Null(found);   // the labels must pick one series
            found = double.Parse(sample.Groups["value"].Value, CultureInfo.InvariantCulture);
        }
        return found;
    }

    [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>[-+]?(\d+(\.\d*)?([eE][-+]?\d+)?|Inf|NaN))( \d+)?$""")]
    private static partial Regex Sample();

    [GeneratedRegex("""([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)" """, RegexOptions.IgnorePatternWhitespace)]
    private static partial Regex Label();
}
