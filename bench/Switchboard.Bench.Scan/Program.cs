// Per-event cost of what the stream relay does to each upstream SSE event: finding usage/choices/error
// while checking the event is one JSON object (member scan), the whole per-event filter (UTF-8 check,
// scan, usage rewrite), and, as the floor, reading the same bytes token by token with Utf8JsonReader.
//   dotnet run -c Release --project bench/Switchboard.Bench.Scan [seconds-per-case]
//   dotnet run -c Release --project bench/Switchboard.Bench.Scan metrics [seconds-per-case]   (what metrics add per request)
// Prints ns per event, best of 5 rounds (the machine's noise only ever adds time).
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Switchboard.Buffers;
using Switchboard.Json;
using Switchboard.Streaming;

if (args.Length > 0 && args[0] == "metrics")
{
    // metrics [seconds-per-case]: the cost per request of the gateway's metrics, on and off.
    MetricsBench.Run(args.Length > 1 ? double.Parse(args[1], CultureInfo.InvariantCulture) : 2.0);
    return 0;
}
var seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 1.0;
const string Head = "\"id\":\"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT\",\"object\":\"chat.completion.chunk\",\"created\":1741569952,\"model\":\"gpt-4.1-2025-04-14\",\"service_tier\":\"default\",\"system_fingerprint\":\"fp_a1102cf978\"";
var cases = new (string Name, byte[] Event)[]
{
    ("content chunk", Encoding.UTF8.GetBytes($"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\" jumps\"}},\"logprobs\":null,\"finish_reason\":null}}]}}")),
    ("content chunk, usage:null", Encoding.UTF8.GetBytes($"{{{Head},\"choices\":[{{\"index\":0,\"delta\":{{\"content\":\" jumps\"}},\"logprobs\":null,\"finish_reason\":null}}],\"usage\":null}}")),
    ("final usage chunk", Encoding.UTF8.GetBytes($"{{{Head},\"choices\":[],\"usage\":{{\"prompt_tokens\":19,\"completion_tokens\":10,\"total_tokens\":29,\"prompt_tokens_details\":{{\"cached_tokens\":0,\"audio_tokens\":0}},\"completion_tokens_details\":{{\"reasoning_tokens\":0,\"audio_tokens\":0,\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}}}}}")),
};

var budget = new BufferBudget(64L << 20);
Console.WriteLine($"{"event",-28} {"bytes",6} {"member scan",16} {"relay filter",14} {"Utf8JsonReader",15}");
foreach (var (name, json) in cases)
{
    var scan = Measure(() => ResponseMembers.TryScan(json, out _) ? 1 : 0);
    var filter = Measure(() =>
    {
        using var f = new ChunkUsageFilter(clientWantsUsage: true, budget, 4 << 20);
        return (int)f.Process(json);
    });
    var reader = Measure(() =>
    {
        var r = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = JsonObjectScanner.MaxDepth });
        var tokens = 0;
        while (r.Read()) tokens++;
        return tokens;
    });
    Console.WriteLine(FormattableString.Invariant($"{name,-28} {json.Length,6} {scan,13:F0} ns {filter,11:F0} ns {reader,12:F0} ns"));
}
return 0;

double Measure(Func<int> work)
{
    var sink = 0;
    // Tiered compilation promotes hot code in the background: run it long enough to be timing tier-1 code.
    var warm = Stopwatch.GetTimestamp();
    while (Stopwatch.GetElapsedTime(warm).TotalSeconds < 1.5) sink += work();
    var best = double.MaxValue;
    for (var round = 0; round < 5; round++)
    {
        long n = 0;
        var started = Stopwatch.GetTimestamp();
        var deadline = started + (long)(seconds / 5 * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            for (var i = 0; i < 1000; i++) sink += work();
            n += 1000;
        }
        best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalNanoseconds / n);
    }
    GC.KeepAlive(sink);
    return best;
}
