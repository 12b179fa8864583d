// Load harness for what wrk cannot measure: time to first SSE byte (TTFT) at one connection,
// and the gateway's memory with many streams open at once.
//   ttft    URL REQUESTS          sequential streaming requests; p50/p99 time to first event and to [DONE]
//   streams URL COUNT GATEWAY_PID open COUNT held streams, wait until each has its first event, report the pid's RSS
//   decode  URL REPS MODEL TOKENS PROMPT_PIECES [CONCURRENT] [SAMPLING]
//                                 streamed /v1/completions from a local model: time to first token, and decode tokens/s
//                                 from the first token to the last (per stream, and all streams together);
//                                 SAMPLING is JSON members such as "temperature":1,"top_p":0.95 (default greedy)
using System.Diagnostics;
using System.Globalization;
using System.Text;

if (args.Length < 3) { Console.Error.WriteLine("usage: ttft URL REQUESTS | streams URL COUNT PID"); return 2; }
var url = args[1];
var count = int.Parse(args[2], CultureInfo.InvariantCulture);
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 100_000, UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
{ Timeout = Timeout.InfiniteTimeSpan };
// A project key for gateways that require one (bench/gateway-overhead.sh with WITH_KEY=1).
if (Environment.GetEnvironmentVariable("WRK_KEY") is { Length: > 0 } key) http.DefaultRequestHeaders.Authorization = new("Bearer", key);

HttpRequestMessage Request(string model) => new(HttpMethod.Post, url)
{
    Content = new StringContent($"{{\"model\":\"{model}\",\"stream\":true,\"messages\":[{{\"role\":\"user\",\"content\":\"Hello\"}}]}}", Encoding.UTF8, "application/json"),
};

if (args[0] == "ttft")
{
    var first = new List<double>(count);
    var total = new List<double>(count);
    var buffer = new byte[64 * 1024];
    for (var i = 0; i < count + 200; i++)
    {
        var started = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(Request("bench-model"), HttpCompletionOption.ResponseHeadersRead);
        await using var body = await response.Content.ReadAsStreamAsync();
        var read = await body.ReadAsync(buffer);
        var ttft = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        while (read > 0) read = await body.ReadAsync(buffer);
        var done = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (i < 200) continue; // warm-up
        first.Add(ttft);
        total.Add(done);
    }
    first.Sort();
    total.Sort();
    Console.WriteLine(FormattableString.Invariant($"ttft_p50_ms={Pct(first, 0.50):F3} ttft_p99_ms={Pct(first, 0.99):F3} full_p50_ms={Pct(total, 0.50):F3} full_p99_ms={Pct(total, 0.99):F3} n={count}"));
    return 0;
}

if (args[0] == "streams")
{
    var pid = args[3];
    var opened = new TaskCompletionSource[count];
    var responses = new HttpResponseMessage?[count];
    using var cancel = new CancellationTokenSource();
    var tasks = new Task[count];
    for (var i = 0; i < count; i++)
    {
        var index = i;
        opened[i] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        tasks[i] = Task.Run(async () =>
        {
            try
            {
                var response = await http.SendAsync(Request("hold-model"), HttpCompletionOption.ResponseHeadersRead, cancel.Token);
                responses[index] = response;
                var body = await response.Content.ReadAsStreamAsync(cancel.Token);
                var buffer = new byte[4096];
                if (await body.ReadAsync(buffer, cancel.Token) > 0) opened[index].TrySetResult();
                while (await body.ReadAsync(buffer, cancel.Token) > 0) { }
            }
            catch (Exception e) when (e is OperationCanceledException or HttpRequestException or IOException)
            {
                opened[index].TrySetException(e);
            }
        });
    }
    var all = Task.WhenAll(opened.Select(o => o.Task));
    await Task.WhenAny(all, Task.Delay(TimeSpan.FromSeconds(60)));
    var ok = opened.Count(o => o.Task.IsCompletedSuccessfully);
    var status = File.ReadAllLines($"/proc/{pid}/status");
    string Field(string name) => status.First(l => l.StartsWith(name, StringComparison.Ordinal)).Split(':')[1].Trim();
    Console.WriteLine($"open_streams={ok}/{count} gateway_rss={Field("VmRSS")} gateway_peak_rss={Field("VmHWM")}");
    await cancel.CancelAsync();
    foreach (var r in responses) r?.Dispose();
    return ok == count ? 0 : 1;
}

if (args[0] == "decode")
{
    var model = args[3];
    var tokens = int.Parse(args[4], CultureInfo.InvariantCulture);
    // The benchmark model's vocabulary is t0..tN: "t5" repeated is one token per piece.
    var prompt = string.Concat(Enumerable.Repeat("t5", int.Parse(args[5], CultureInfo.InvariantCulture)));
    var concurrent = args.Length > 6 ? int.Parse(args[6], CultureInfo.InvariantCulture) : 1;
    var sampling = args.Length > 7 ? args[7] : "\"temperature\":0";
    // EOS (id 2) is biased away so every stream decodes all TOKENS, as llama-bench's tg does.
    var body = $"{{\"model\":\"{model}\",\"prompt\":\"{prompt}\",\"max_tokens\":{tokens},{sampling},\"logit_bias\":{{\"2\":-100}},\"stream\":true}}";
    // Times are seconds since origin, when all of a repetition's requests are sent: the first token's is its TTFT.
    async Task<(double First, double Last, int Count)> StreamAsync(long origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        double first = 0, last = 0;
        var n = 0;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (!line.StartsWith("data: {", StringComparison.Ordinal) || !line.Contains("\"text\":\"t", StringComparison.Ordinal)) continue;
            var at = Stopwatch.GetElapsedTime(origin).TotalSeconds;
            if (n++ == 0) first = at;
            last = at;
        }
        if (n != tokens) throw new InvalidOperationException($"expected {tokens} tokens, got {n} (status {(int)response.StatusCode})");
        return (first, last, n);
    }
    await StreamAsync(Stopwatch.GetTimestamp());    // load the model, warm up
    var reps = count;
    for (var rep = 0; rep < reps; rep++)
    {
        var origin = Stopwatch.GetTimestamp();
        var results = await Task.WhenAll(Enumerable.Range(0, concurrent).Select(_ => StreamAsync(origin)));
        var perStream = results.Select(r => (r.Count - 1) / (r.Last - r.First)).Average();
        var aggregate = results.Sum(r => r.Count - 1) / (results.Max(r => r.Last) - results.Min(r => r.First));
        var ttft = results.Select(r => r.First).Average() * 1000;
        Console.WriteLine(FormattableString.Invariant($"rep={rep} streams={concurrent} ttft_ms={ttft:F1} decode_tok_s_per_stream={perStream:F1} decode_tok_s_total={aggregate:F1}"));
    }
    return 0;
}

Console.Error.WriteLine($"unknown mode {args[0]}");
return 2;

static double Pct(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
