using Switchboard.Authentication;
using Switchboard.Ledger;
using Switchboard.Logging;
using Switchboard.Storage;

namespace Switchboard.Metering;

/// <summary>The facts of one finished request: what the ledger and the log record.</summary>
public readonly record struct RequestRecord(
    string RequestId, string Endpoint, string Model, string? Provider, int Status, TimeSpan Latency, Usage? Usage, bool Stream,
    long StartedAt = 0, int RequestBytes = 0)
{
    /// <summary>The model the provider was asked for, after aliases and fallback.</summary>
    public string? ServedModel { get; init; }
    /// <summary>Until the first token was written to the client, for streams.</summary>
    public TimeSpan? TimeToFirstToken { get; init; }
    /// <summary>Chunks relayed from an upstream stream (the first, for chat, only opens the assistant's turn).</summary>
    public int StreamedEvents { get; init; }
    /// <summary>The model's price when the request arrived (<see cref="RequestRecorder.Quote"/>); without one, its price now.</summary>
    public Price? Price { get; init; }
}

/// <summary>
/// Settles every finished request — including failed ones and streams the client aborted — in one log line and one
/// ledger row with its cost. Where the provider reported no usage although it answered (a stream cut before its usage
/// chunk), the prompt is estimated at one token per four bytes of request body, as OpenAI's rule of thumb has it,
/// the output at one token per content chunk relayed (OpenAI streams a token per chunk), and the row is marked estimated.
/// </summary>
internal sealed class RequestRecorder(LedgerWriter ledger, Prices prices, Telemetry.GatewayMetrics metrics, ILogger<RequestRecorder> logger)
{
    /// <summary>The price to charge a request for this model by, taken when it arrives.</summary>
    public Price Quote(string model) => prices.Quote(model);

    /// <summary>Logs and queues the request's ledger row; the row (its tokens and cost) is what admission settles by.</summary>
    public async ValueTask<LedgerRow> RecordAsync(RequestRecord record, Caller? caller)
    {
        Log.RequestCompleted(logger, record.RequestId, record.Endpoint, record.Model, record.Provider ?? "-", record.Status,
            Math.Round(record.Latency.TotalMilliseconds, 2), record.Usage?.PromptTokens, record.Usage?.CompletionTokens, record.Stream);
        var served = record.Status is 200 or StatusCodes.Status499ClientClosedRequest && record.Provider is not null;
        var estimated = record.Usage is null && served;
        var usage = record.Usage ?? (estimated ? Estimate(record) : default);
        var row = new LedgerRow
        {
            RequestId = record.RequestId,
            At = record.StartedAt,
            ProjectId = caller?.ProjectId,
            ApiKeyId = caller?.Kind == CallerKind.Project ? caller.KeyId : null,
            Endpoint = record.Endpoint,
            Model = record.Model,
            ServedModel = record.ServedModel,
            Provider = record.Provider,
            Status = record.Status,
            Stream = record.Stream ? 1 : 0,
            InputTokens = usage.PromptTokens,
            OutputTokens = usage.CompletionTokens,
            CachedTokens = usage.CachedTokens,
            ReasoningTokens = usage.ReasoningTokens,
            CostMicros = (record.Price ?? prices.Quote(record.Model)).CostMicros(usage),
            LatencyMs = (long)record.Latency.TotalMilliseconds,
            TtftMs = record.TimeToFirstToken is { } ttft ? (long)ttft.TotalMilliseconds : null,
            Estimated = estimated ? 1 : 0,
        };
        metrics.RequestFinished(record, caller, usage, row.CostMicros);
        Telemetry.GatewayTracing.Settled(record, usage, row.CostMicros);
        await ledger.AppendAsync(row);
        return row;
    }

    private static Usage Estimate(in RequestRecord record)
    {
        var prompt = record.RequestBytes / 4;
        var output = Math.Max(0, record.StreamedEvents - (record.Endpoint == Api.ApiEndpoint.ChatCompletions.Path ? 1 : 0));
        return new Usage(prompt, output, prompt + output, 0);
    }
}
