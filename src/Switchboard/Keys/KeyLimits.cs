using System.Text.Json.Serialization;

namespace Switchboard.Keys;

/// <summary>
/// A project key's own limits (our extension, given when the key is created): requests and tokens per minute, and
/// requests in flight at once, and whether its input is checked by moderation first. Null members are not limited.
/// </summary>
internal sealed record KeyLimits(
    [property: JsonPropertyName("max_requests_per_1_minute")] long? MaxRequestsPer1Minute,
    [property: JsonPropertyName("max_tokens_per_1_minute")] long? MaxTokensPer1Minute,
    [property: JsonPropertyName("max_concurrent_requests")] int? MaxConcurrentRequests,
    [property: JsonPropertyName("moderate_input")] bool? ModerateInput = null);
