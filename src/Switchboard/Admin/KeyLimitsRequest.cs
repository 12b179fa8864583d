using System.Text.Json;
using Switchboard.Errors;
using Switchboard.Keys;

namespace Switchboard.Admin;

/// <summary>Reads a project key's <c>limits</c> (our extension) from an admin request, every member checked.</summary>
internal static class KeyLimitsRequest
{
    private const decimal MaxBudgetUsd = 1_000_000_000m;

    /// <summary>The limits as stored (JSON), or null for none; an error names the first member that is wrong.</summary>
    public static (string? Limits, OpenAiError? Error) Read(JsonElement given)
    {
        if (given.ValueKind == JsonValueKind.Null) return (null, null);
        if (given.ValueKind != JsonValueKind.Object) return (null, GatewayErrors.InvalidType("limits", "an object"));
        var rpm = Whole(given, "max_requests_per_1_minute", 1_000_000_000, out var rpmError);
        var tpm = Whole(given, "max_tokens_per_1_minute", 1_000_000_000_000, out var tpmError);
        var concurrent = Whole(given, "max_concurrent_requests", 100_000, out var concurrentError);
        if ((rpmError ?? tpmError ?? concurrentError) is { } error) return (null, error);
        bool? moderate = null;
        if (given.TryGetProperty("moderate_input", out var moderation) && moderation.ValueKind != JsonValueKind.Null)
        {
            if (moderation.ValueKind is not (JsonValueKind.True or JsonValueKind.False))
                return (null, GatewayErrors.InvalidType("limits.moderate_input", "a boolean"));
            moderate = moderation.ValueKind == JsonValueKind.True;
        }
        decimal? budget = null;
        if (given.TryGetProperty("budget_usd", out var dollars) && dollars.ValueKind != JsonValueKind.Null)
        {
            // Kept in micro-dollars, like every cost: a finer budget could not be enforced exactly.
            if (dollars.ValueKind != JsonValueKind.Number || !dollars.TryGetDecimal(out var usd) || usd <= 0 || usd > MaxBudgetUsd
                || usd * 1_000_000m != decimal.Truncate(usd * 1_000_000m))
                return (null, GatewayErrors.InvalidValue("limits.budget_usd", "it must be US dollars above 0 and at most 1000000000, with at most 6 decimal places."));
            budget = usd;
        }
        string? interval = null;
        if (given.TryGetProperty("budget_interval", out var every) && every.ValueKind != JsonValueKind.Null)
        {
            interval = every.ValueKind == JsonValueKind.String ? every.GetString() : null;
            if (interval is not (KeyLimits.Day or KeyLimits.Month or KeyLimits.Total))
                return (null, GatewayErrors.InvalidValue("limits.budget_interval", "it must be \"day\", \"month\" or \"total\"."));
            if (budget is null) return (null, GatewayErrors.InvalidValue("limits.budget_interval", "it applies only with limits.budget_usd."));
        }
        if (budget is not null) interval ??= KeyLimits.Month;
        var limits = new KeyLimits(rpm, tpm, (int?)concurrent, moderate, budget, interval);
        return (limits == new KeyLimits(null, null, null) ? null : JsonSerializer.Serialize(limits), null);
    }

    private static long? Whole(JsonElement given, string name, long max, out OpenAiError? problem)
    {
        problem = null;
        if (!given.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
        if (value.TryGetInt64(out var number) && number >= 1 && number <= max) return number;
        problem = GatewayErrors.InvalidValue($"limits.{name}", $"it must be a whole number from 1 to {max}.");
        return null;
    }
}
