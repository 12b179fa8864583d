using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using Switchboard.Authentication;
using Switchboard.Metering;
using Switchboard.Telemetry;

/// <summary>
/// What metrics add to one request, isolated from the network: <see cref="GatewayMetrics.RequestFinished"/> for a
/// non-stream and a streamed request (and a stream's open/close), with OpenTelemetry's SDK aggregating (metrics on)
/// and with nothing listening (metrics off). End to end, the same difference is far below the machine's noise.
/// </summary>
internal static class MetricsBench
{
    public static void Run(double seconds)
    {
        var off = Measure(seconds, listening: false);
        var on = Measure(seconds, listening: true);
        Console.WriteLine($"{"case",-32} {"off ns",10} {"on ns",10}");
        for (var i = 0; i < on.Length; i++) Console.WriteLine($"{on[i].Name,-32} {off[i].Ns,10:F0} {on[i].Ns,10:F0}");
    }

    private static (string Name, double Ns)[] Measure(double seconds, bool listening)
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var metrics = new GatewayMetrics(services.GetRequiredService<IMeterFactory>());
        using var provider = listening
            ? Sdk.CreateMeterProviderBuilder().AddMeter(GatewayMetrics.MeterName).AddReader(new BaseExportingMetricReader(new Discard())).Build()
            : null;
        var caller = new Caller(CallerKind.Project, "key_bench", "proj_bench");
        var json = new RequestRecord("req", "chat/completions", "gpt-4o-mini", "openai", 200, TimeSpan.FromMilliseconds(812), new Usage(1200, 300, 1500, 0), false);
        var stream = json with { Stream = true, TimeToFirstToken = TimeSpan.FromMilliseconds(240) };
        return
        [
            ("request finished (json)", Best(seconds, () => metrics.RequestFinished(json, caller, json.Usage!.Value, 360))),
            ("request finished (stream)", Best(seconds, () => metrics.RequestFinished(stream, caller, stream.Usage!.Value, 360))),
            ("stream opened + closed", Best(seconds, () => { metrics.StreamOpened("openai"); metrics.StreamClosed("openai"); })),
        ];
    }

    // Best of 5 rounds: the machine's noise only ever adds time.
    private static double Best(double seconds, Action action)
    {
        var best = double.MaxValue;
        for (var round = 0; round < 5; round++)
        {
            long calls = 0;
            var started = Stopwatch.GetTimestamp();
            while (Stopwatch.GetElapsedTime(started).TotalSeconds < seconds / 5)
            {
                for (var i = 0; i < 1000; i++) action();
                calls += 1000;
            }
            best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalNanoseconds / calls);
        }
        return best;
    }

    private sealed class Discard : BaseExporter<Metric>
    {
        public override ExportResult Export(in Batch<Metric> batch) => ExportResult.Success;
    }
}
