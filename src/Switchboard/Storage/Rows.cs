namespace Switchboard.Storage;

/// <summary>A project as stored (times in Unix seconds).</summary>
internal sealed record ProjectRow
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public long CreatedAt { get; init; }
    public long? ArchivedAt { get; init; }
    public string? ExternalKeyId { get; init; }
}

internal sealed record ServiceAccountRow
{
    public required string Id { get; init; }
    public required string ProjectId { get; init; }
    public required string Name { get; init; }
    public required string Role { get; init; }
    public long CreatedAt { get; init; }
}

/// <summary>An API key as stored: never its secret, only the secret's SHA-256 (hex) and a redacted form for lists.</summary>
internal sealed record ApiKeyRow
{
    public const string ProjectKind = "project";
    public const string AdminKind = "admin";

    public required string Id { get; init; }
    public required string Kind { get; init; }
    public string? ProjectId { get; init; }
    public string? ServiceAccountId { get; init; }
    public required string Name { get; init; }
    public required string SecretHash { get; init; }
    public required string RedactedValue { get; init; }
    public long CreatedAt { get; init; }
    public long? ExpiresAt { get; init; }
    public long? LastUsedAt { get; init; }
    public long? RevokedAt { get; init; }
    /// <summary>Our extension: the models the key may call, as a JSON array of names; null for any.</summary>
    public string? AllowedModels { get; init; }
    /// <summary>Our extension: the key's own limits as JSON (<see cref="Keys.KeyLimits"/>); null for none.</summary>
    public string? Limits { get; init; }
}

/// <summary>One request in the ledger: whatever happened to it, with the tokens and cost it came to.</summary>
internal record struct LedgerRow
{
    public required string RequestId { get; init; }
    public long At { get; init; }
    public string? ProjectId { get; init; }
    public string? ApiKeyId { get; init; }
    public required string Endpoint { get; init; }
    /// <summary>The model the client asked for.</summary>
    public required string Model { get; init; }
    /// <summary>The model the provider was asked for, after aliases and fallback; null when no provider was reached.</summary>
    public string? ServedModel { get; init; }
    public string? Provider { get; init; }
    public long Status { get; init; }
    public long Stream { get; init; }
    public long InputTokens { get; init; }
    public long OutputTokens { get; init; }
    public long CachedTokens { get; init; }
    public long ReasoningTokens { get; init; }
    public long CostMicros { get; init; }
    public long LatencyMs { get; init; }
    /// <summary>Milliseconds until the first token reached the client, for streams; null for a response sent whole.</summary>
    public long? TtftMs { get; init; }
    public long Estimated { get; init; }
}

/// <summary>A project's limits for one model (OpenAI's <c>rl-MODEL</c>); null fields are not limited.</summary>
internal sealed record RateLimitRow
{
    public required string ProjectId { get; init; }
    public required string Model { get; init; }
    public long? MaxRequestsPer1Minute { get; init; }
    public long? MaxTokensPer1Minute { get; init; }
    public long? MaxImagesPer1Minute { get; init; }
    public long? MaxAudioMegabytesPer1Minute { get; init; }
    public long? MaxRequestsPer1Day { get; init; }
    public long? Batch1DayMaxInputTokens { get; init; }
}

/// <summary>A project's hard spend limit per calendar month, in cents (as OpenAI's API gives it).</summary>
internal sealed record SpendLimitRow
{
    public required string ProjectId { get; init; }
    public long ThresholdCents { get; init; }
    public required string Currency { get; init; }
    public required string Period { get; init; }
}

/// <summary>Credit given to a project (our extension): an amount usable from <see cref="EffectiveAt"/> until <see cref="ExpiresAt"/>.</summary>
internal sealed record CreditGrantRow
{
    public required string Id { get; init; }
    public required string ProjectId { get; init; }
    public long AmountMicros { get; init; }
    public long EffectiveAt { get; init; }
    public long? ExpiresAt { get; init; }
    public long CreatedAt { get; init; }
}

/// <summary>A model's price set through the admin API, in micro-dollars per million tokens; it wins over configured and built-in prices.</summary>
internal sealed record ModelPriceRow
{
    public required string Model { get; init; }
    public long InputMicros { get; init; }
    public long CachedInputMicros { get; init; }
    public long OutputMicros { get; init; }
    public long UpdatedAt { get; init; }
}
