// Load harness for what wrk cannot measure: time to first SSE byte (TTFT) at one connection,
// and the gateway's memory with many streams open at once.
//   ttft    URL REQUESTS          sequential streaming requests; p50/p99 time to first event and to [DONE]
//   streams URL COUNT GATEWAY_PID open COUNT held streams, wait until each has its first event, report the pid's RSS
using System.Diagnostics;
using System.Globalization;
using System.Text;

if (args.Length < 3) { Console.Error.WriteLine("usage: ttft URL REQUESTS | streams URL COUNT PID"); return 2; }
var url = args[1];
var count = int.Parse(args[2], CultureInfo.InvariantCulture);
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 100_000, UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
{ Timeout = Timeout.InfiniteTimeSpan };

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

Console.Error.WriteLine($"unknown mode {args[0]}");
return 2;

static double Pct(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)(p * sorted.Count))];
