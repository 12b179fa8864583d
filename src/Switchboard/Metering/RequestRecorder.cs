using Switchboard.Logging;

namespace Switchboard.Metering;

/// <summary>The facts of one finished request: what the ledger (and today, the log) records.</summary>
public readonly record struct RequestRecord(
    string RequestId, string Endpoint, string Model, string? Provider, int Status, TimeSpan Latency, Usage? Usage, bool Stream);

/// <summary>Settles every finished request — including failed ones and streams the client aborted — in one line.</summary>
public sealed class RequestRecorder(ILogger<RequestRecorder> logger)
{
    public void Record(in RequestRecord record) =>
        Log.RequestCompleted(logger, record.RequestId, record.Endpoint, record.Model, record.Provider ?? "-", record.Status,
            Math.Round(record.Latency.TotalMilliseconds, 2), record.Usage?.PromptTokens, record.Usage?.CompletionTokens, record.Stream);
}
