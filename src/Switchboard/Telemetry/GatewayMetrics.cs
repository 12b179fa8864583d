using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Switchboard.Authentication;
using Switchboard.Ledger;
using Switchboard.Metering;
using Switchboard.Providers;
using Switchboard.Resilience;

namespace Switchboard.Telemetry;

/// <summary>
/// The gateway's instruments, on the meter <see cref="MeterName"/>. Names follow OpenTelemetry's GenAI semantic
/// conventions where they have one (<c>gen_ai.server.request.duration</c>, <c>gen_ai.server.time_to_first_token</c>,
/// <c>gen_ai.client.token.usage</c>) and are <c>switchboard.*</c> otherwise. Every finished request is measured once, where it is
/// settled (<see cref="RequestRecorder"/>); gauges are read only when scraped. Without a listener (metrics off)
/// each measurement is a flag check.
/// </summary>
internal sealed class GatewayMetrics
{
    public const string MeterName = "Switchboard";

    // The semantic conventions' advised buckets: seconds doubling from 10 ms, tokens by powers of four.
    private static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
    private static readonly double[] FirstTokenBuckets = [0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0];
    private static readonly long[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    private readonly Histogram<double> _duration;
    private readonly Histogram<double> _firstToken;
    private readonly Histogram<long> _tokens;
    private readonly Counter<double> _cost;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _fallbacks;
    private readonly UpDownCounter<long> _openStreams;

    // A model name is a client's choice (a wildcard provider serves any): past this many distinct names, further
    // ones share the label "other", so a client cannot grow the series without bound.
    private const int MaxModelLabels = 500;
    private readonly ConcurrentDictionary<string, byte> _modelLabels = new(StringComparer.Ordinal);

    private readonly Meter _meter;

    public GatewayMetrics(IMeterFactory meters)
    {
        var meter = _meter = meters.Create(MeterName);
        _duration = meter.CreateHistogram("gen_ai.server.request.duration", "s", "Time from a request's arrival to its last byte, by operation, model, provider and status.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _firstToken = meter.CreateHistogram("gen_ai.server.time_to_first_token", "s", "Time from a streamed request's arrival to its first token.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = FirstTokenBuckets });
        _tokens = meter.CreateHistogram("gen_ai.client.token.usage", "{token}", "Tokens per request, input and output, as the provider reported them (or estimated).",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = TokenBuckets });
        _cost = meter.CreateCounter<double>("switchboard.cost", "{USD}", "Dollars charged, at the prices in effect when each request arrived.");
        _retries = meter.CreateCounter<long>("switchboard.upstream.retries", "{retry}", "Upstream attempts repeated after a retryable failure.");
        _fallbacks = meter.CreateCounter<long>("switchboard.upstream.fallbacks", "{fallback}", "Times a provider was left for the next one in a model's list.");
        _openStreams = meter.CreateUpDownCounter<long>("switchboard.streams.open", "{stream}", "Streams being relayed to clients now, by provider.");
    }

    /// <summary>The gauges read when scraped: breakers, queues, local sequences.</summary>
    public void Observe(ProviderRegistry providers, LedgerWriter ledger, Admission.AdmissionGate admission)
    {
        _meter.CreateObservableGauge("switchboard.provider.circuit_state", () => CircuitStates(providers), "{state}",
            "Each circuit breaker (a provider's, or a local model's): 0 closed, 1 half-open (probing), 2 open (skipped).");
        _meter.CreateObservableGauge("switchboard.ledger.queue_depth", () => ledger.Pending, "{row}", "Ledger rows waiting to be written to the store.");
        _meter.CreateObservableGauge("switchboard.ledger.write_lag", () => ledger.WriteLag.TotalSeconds, "s",
            "How long the oldest ledger row not yet in the store has waited (0 when all are stored).");
        _meter.CreateObservableGauge("switchboard.local.sequences", () => providers.Local.Leased, "{sequence}", "Sequences the local models are generating now.");
        _meter.CreateObservableGauge("switchboard.admission.queue_depth", () => admission.Queued, "{request}",
            "Requests waiting for one of their key's concurrency slots (max_concurrent_requests).");
        _meter.CreateObservableGauge("switchboard.local.queue_depth", () => providers.Local.Queued, "{request}", "Requests waiting for a local model's sequence slot.");
    }

    /// <summary>A finished request: its duration, first token, tokens and cost.</summary>
    public void RequestFinished(in RequestRecord record, Caller? caller, Usage usage, long costMicros)
    {
        if (!_duration.Enabled) return;
        var tags = new TagList
        {
            { "gen_ai.operation.name", Operation(record.Endpoint) },
            { "gen_ai.request.model", record.Provider is null ? "unrouted" : ModelLabel(record.Model) },
            { "gen_ai.provider.name", record.Provider ?? "none" },
            { "http.response.status_code", record.Status },
        };
        _duration.Record(record.Latency.TotalSeconds, tags);
        if (record.TimeToFirstToken is { } firstToken) _firstToken.Record(firstToken.TotalSeconds, tags);
        if (usage == default && costMicros == 0) return;
        // Spend by project and key (its id, never its secret): what an operator charges back by.
        var spend = new TagList
        {
            { "gen_ai.operation.name", Operation(record.Endpoint) },
            { "gen_ai.request.model", record.Provider is null ? "unrouted" : ModelLabel(record.Model) },
            { "gen_ai.provider.name", record.Provider ?? "none" },
            { "switchboard.project", caller?.ProjectId ?? "none" },
            { "switchboard.api_key", caller?.KeyId ?? KindName(caller) },
        };
        var input = spend;
        input.Add("gen_ai.token.type", "input");
        _tokens.Record(usage.PromptTokens, input);
        var output = spend;
        output.Add("gen_ai.token.type", "output");
        _tokens.Record(usage.CompletionTokens, output);
        if (costMicros != 0) _cost.Add(costMicros / 1_000_000.0, spend);
    }

    private static string KindName(Caller? caller) => caller?.Kind switch
    {
        CallerKind.Master => "master",
        CallerKind.Admin => "admin",
        CallerKind.Project => "project",
        _ => "none",
    };

    public void Retried(string provider, string model) =>
        _retries.Add(1, new KeyValuePair<string, object?>("gen_ai.provider.name", provider), new KeyValuePair<string, object?>("gen_ai.request.model", ModelLabel(model)));

    public void FellBack(string provider, string model) =>
        _fallbacks.Add(1, new KeyValuePair<string, object?>("gen_ai.provider.name", provider), new KeyValuePair<string, object?>("gen_ai.request.model", ModelLabel(model)));

    private string ModelLabel(string model)
    {
        if (_modelLabels.ContainsKey(model)) return model;
        if (_modelLabels.Count < MaxModelLabels) _modelLabels.TryAdd(model, 0);
        return _modelLabels.ContainsKey(model) ? model : "other";
    }

    public void StreamOpened(string? provider) => _openStreams.Add(1, new KeyValuePair<string, object?>("gen_ai.provider.name", provider ?? "none"));

    public void StreamClosed(string? provider) => _openStreams.Add(-1, new KeyValuePair<string, object?>("gen_ai.provider.name", provider ?? "none"));

    private static IEnumerable<Measurement<int>> CircuitStates(ProviderRegistry providers)
    {
        foreach (var provider in providers.Upstreams.Cast<Provider>().Append(providers.Local))
        {
            foreach (var (guarding, breaker) in provider.Breakers)
            {
                var state = breaker.Observed switch { CircuitState.Closed => 0, CircuitState.HalfOpen => 1, _ => 2 };
                yield return new Measurement<int>(state, new KeyValuePair<string, object?>("gen_ai.provider.name", provider.Name),
                    new KeyValuePair<string, object?>("switchboard.guarding", guarding));
            }
        }
    }

    private static string Operation(string endpoint) => GatewayTracing.Operation(endpoint);
}
