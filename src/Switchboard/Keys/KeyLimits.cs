using System.Text.Json.Serialization;

namespace Switchboard.Keys;

/// <summary>
/// A project key's own limits (our extension, given when the key is created or changed): requests and tokens per
/// minute, requests in flight at once, whether its input is checked by moderation first, and a budget in dollars per
/// UTC day, per UTC month or in total. Null members are not limited.
/// </summary>
internal sealed record KeyLimits(
    [property: JsonPropertyName("max_requests_per_1_minute")] long? MaxRequestsPer1Minute,
    [property: JsonPropertyName("max_tokens_per_1_minute")] long? MaxTokensPer1Minute,
    [property: JsonPropertyName("max_concurrent_requests")] int? MaxConcurrentRequests,
    [property: JsonPropertyName("moderate_input")] bool? ModerateInput = null,
    [property: JsonPropertyName("budget_usd")] decimal? BudgetUsd = null,
    [property: JsonPropertyName("budget_interval")] string? BudgetInterval = null)
{
    public const string Day = "day";
    public const string Month = "month";
    public const string Total = "total";

    /// <summary>The budget in micro-dollars (validated to whole micro-dollars when the key was given it).</summary>
    [JsonIgnore]
    public long? BudgetMicros => BudgetUsd is { } usd ? (long)(usd * 1_000_000m) : null;
}
