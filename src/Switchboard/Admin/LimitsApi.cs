using System.Text.Json;
using System.Text.Json.Serialization;
using Switchboard.Billing;
using Switchboard.Configuration;
using Switchboard.Errors;
using Switchboard.Keys;
using Switchboard.Storage;

namespace Switchboard.Admin;

/// <summary>
/// A project's limits and credit, stored here and enforced by admission: OpenAI's per-model rate limits
/// (<c>rl-MODEL</c>, settable for any model name a client may send) and monthly hard spend limit, and — our extension,
/// under the same prefix — credit grants with their used / available / expired state.
/// </summary>
internal static class LimitsApi
{
    private static readonly string[] RateLimitFields =
    [
        "max_requests_per_1_minute", "max_tokens_per_1_minute", "max_images_per_1_minute", "max_audio_megabytes_per_1_minute",
        "max_requests_per_1_day", "batch_1_day_max_input_tokens",
    ];

    public static RouteGroupBuilder MapLimitsApi(this RouteGroupBuilder projects)
    {
        projects.MapGet("/{projectId}/rate_limits", ListRateLimits);
        // Model names may hold slashes (vendor/model, local/NAME), sent as they are or as %2F.
        projects.MapPost("/{projectId}/rate_limits/{**rateLimitId}", ModifyRateLimit);
        projects.MapGet("/{projectId}/spend_limit", GetSpendLimit);
        projects.MapPost("/{projectId}/spend_limit", SetSpendLimit);
        projects.MapDelete("/{projectId}/spend_limit", DeleteSpendLimit);
        projects.MapGet("/{projectId}/credit_grants", ListCreditGrants).WithTags(Extension);
        projects.MapPost("/{projectId}/credit_grants", CreateCreditGrant).WithTags(Extension);
        return projects;
    }

    /// <summary>The OpenAPI tag of what OpenAI's API does not have.</summary>
    public const string Extension = "Switchboard extensions";

    private static ErrorResult NoProject(string id) => new(GatewayErrors.NotFound("project", id, "project_id"));

    // ---- rate limits ----

    // Named explicitly: snake_case naming would not split the digits ("per1_minute"). Limits that are not set are left out.
    private sealed record RateLimitObject(string Id, string Model,
        [property: JsonPropertyName("max_requests_per_1_minute")] long MaxRequestsPer1Minute,
        [property: JsonPropertyName("max_tokens_per_1_minute")] long MaxTokensPer1Minute,
        [property: JsonPropertyName("max_images_per_1_minute"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? MaxImagesPer1Minute,
        [property: JsonPropertyName("max_audio_megabytes_per_1_minute"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? MaxAudioMegabytesPer1Minute,
        [property: JsonPropertyName("max_requests_per_1_day"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? MaxRequestsPer1Day,
        [property: JsonPropertyName("batch_1_day_max_input_tokens"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] long? Batch1DayMaxInputTokens,
        string Object = "project.rate_limit")
    {
        // 0 for a limit that is not set: no limit.
        public static RateLimitObject From(RateLimitRow r) => new($"rl-{r.Model}", r.Model, r.MaxRequestsPer1Minute ?? 0, r.MaxTokensPer1Minute ?? 0,
            r.MaxImagesPer1Minute, r.MaxAudioMegabytesPer1Minute, r.MaxRequestsPer1Day, r.Batch1DayMaxInputTokens);
    }

    private static async Task<IResult> ListRateLimits(string projectId, HttpRequest request, Store store)
    {
        var (limit, after, error) = AdminRequests.Page(request);
        if (error is not null) return new ErrorResult(error);
        if (await store.GetProjectAsync(projectId) is null) return NoProject(projectId);
        var all = (await store.RateLimitsAsync(projectId)).Select(RateLimitObject.From).ToList();
        var start = after is null ? 0 : all.FindIndex(r => r.Id == after) + 1;
        var page = all.Skip(start).Take(limit + 1).ToList();
        return AdminJson.Ok(AdminRequests.List(page, limit, r => r, r => r.Id));
    }

    private static async Task<IResult> ModifyRateLimit(string projectId, string rateLimitId, HttpContext context, Store store, StoreSync sync)
    {
        rateLimitId = rateLimitId.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);
        if (!rateLimitId.StartsWith("rl-", StringComparison.Ordinal) || rateLimitId.Length == 3 || rateLimitId.Length > 259)
            return new ErrorResult(GatewayErrors.InvalidValue("rate_limit_id", "it must be rl- followed by a model name, e.g. rl-gpt-4o-mini."));
        var (body, error) = await AdminRequests.ReadObjectAsync(context);
        if (error is not null) return new ErrorResult(error);
        var values = new Dictionary<string, long?>();
        foreach (var field in RateLimitFields)
        {
            if (!body.TryGetProperty(field, out var value) || value.ValueKind == JsonValueKind.Null) continue;
            if (!value.TryGetInt64(out var number) || number < 0) return new ErrorResult(GatewayErrors.InvalidValue(field, "it must be a whole number of at least 0 (0: no limit)."));
            values[field] = number == 0 ? null : number;
        }
        if (await store.GetProjectAsync(projectId) is null) return NoProject(projectId);
        var model = rateLimitId[3..];
        var current = (await store.RateLimitsAsync(projectId)).FirstOrDefault(r => r.Model == model) ?? new RateLimitRow { ProjectId = projectId, Model = model };
        long? Value(string field, long? old) => values.TryGetValue(field, out var v) ? v : old;
        var updated = current with
        {
            MaxRequestsPer1Minute = Value(RateLimitFields[0], current.MaxRequestsPer1Minute),
            MaxTokensPer1Minute = Value(RateLimitFields[1], current.MaxTokensPer1Minute),
            MaxImagesPer1Minute = Value(RateLimitFields[2], current.MaxImagesPer1Minute),
            MaxAudioMegabytesPer1Minute = Value(RateLimitFields[3], current.MaxAudioMegabytesPer1Minute),
            MaxRequestsPer1Day = Value(RateLimitFields[4], current.MaxRequestsPer1Day),
            Batch1DayMaxInputTokens = Value(RateLimitFields[5], current.Batch1DayMaxInputTokens),
        };
        await store.SetRateLimitAsync(updated);
        await sync.ReloadAsync();
        return AdminJson.Ok(RateLimitObject.From(updated));
    }

    // ---- spend limit ----

    private sealed record Enforcement(string Status);

    private sealed record SpendLimitObject(long ThresholdAmount, string Currency, string Interval, Enforcement Enforcement, string Object = "project.spend_limit");

    private static async Task<SpendLimitObject> SpendLimitObjectAsync(Store store, SpendLimitRow limit, TimeProvider time)
    {
        var now = time.GetUtcNow();
        var month = new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeSeconds();
        var spent = await store.SpentMicrosAsync(limit.ProjectId, month);
        var enforcing = spent >= limit.ThresholdCents * 10_000;
        return new SpendLimitObject(limit.ThresholdCents, limit.Currency, limit.Period, new Enforcement(enforcing ? "enforcing" : "inactive"));
    }

    private static async Task<IResult> GetSpendLimit(string projectId, Store store, TimeProvider time)
    {
        if (await store.GetProjectAsync(projectId) is null) return NoProject(projectId);
        return await store.SpendLimitAsync(projectId) is { } limit
            ? AdminJson.Ok(await SpendLimitObjectAsync(store, limit, time))
            : new ErrorResult(GatewayErrors.NotFound("spend limit for project", projectId, "project_id"));
    }

    private static async Task<IResult> SetSpendLimit(string projectId, HttpContext context, Store store, StoreSync sync, TimeProvider time)
    {
        var (body, error) = await AdminRequests.ReadObjectAsync(context);
        if (error is not null) return new ErrorResult(error);
        if (!body.TryGetProperty("threshold_amount", out var amount)) return new ErrorResult(GatewayErrors.MissingParameter("threshold_amount"));
        if (!amount.TryGetInt64(out var cents) || cents < 1) return new ErrorResult(GatewayErrors.InvalidValue("threshold_amount", "it must be a whole number of cents, at least 1."));
        var (currency, currencyError) = AdminRequests.String(body, "currency", required: true);
        if (currencyError is not null || currency != "USD") return new ErrorResult(currencyError ?? GatewayErrors.InvalidValue("currency", "it must be USD."));
        var (interval, intervalError) = AdminRequests.String(body, "interval", required: true);
        if (intervalError is not null || interval != "month") return new ErrorResult(intervalError ?? GatewayErrors.InvalidValue("interval", "it must be month."));
        if (await store.GetProjectAsync(projectId) is null) return NoProject(projectId);
        var limit = new SpendLimitRow { ProjectId = projectId, ThresholdCents = cents, Currency = "USD", Period = "month" };
        await store.SetSpendLimitAsync(limit);
        await sync.ReloadAsync();
        return AdminJson.Ok(await SpendLimitObjectAsync(store, limit, time));
    }

    private sealed record SpendLimitDeleted(bool Deleted = true, string Object = "project.spend_limit.deleted");

    private static async Task<IResult> DeleteSpendLimit(string projectId, Store store, StoreSync sync)
    {
        if (await store.GetProjectAsync(projectId) is null) return NoProject(projectId);
        var deleted = await store.DeleteSpendLimitAsync(projectId);
        await sync.ReloadAsync();
        return deleted ? AdminJson.Ok(new SpendLimitDeleted()) : new ErrorResult(GatewayErrors.NotFound("spend limit for project", projectId, "project_id"));
    }

    // ---- credit grants (our extension) ----

    private sealed record CreditGrantObject(string Id, string ProjectId, decimal Amount, decimal UsedAmount, decimal AvailableAmount, long EffectiveAt,
        long? ExpiresAt, long CreatedAt, string Status, string Object = "organization.project.credit_grant");

    private sealed record CreditGrantList(IReadOnlyList<CreditGrantObject> Data, decimal Balance, string? FirstId, string? LastId, bool HasMore = false, string Object = "list");

    private static async Task<IResult> ListCreditGrants(string projectId, Store store, GatewayOptions options, TimeProvider time)
    {
        if (await store.GetProjectAsync(projectId) is null) return NoProject(projectId);
        var states = await CreditLedger.StateAsync(store, projectId, time.GetUtcNow().ToUnixTimeSeconds(), options.Ledger.Retention);
        var grants = states.Select(s => new CreditGrantObject(s.Grant.Id, projectId, s.Grant.AmountMicros / 1_000_000m, s.UsedMicros / 1_000_000m,
            s.AvailableMicros / 1_000_000m, s.Grant.EffectiveAt, s.Grant.ExpiresAt, s.Grant.CreatedAt, s.Status)).ToList();
        return AdminJson.Ok(new CreditGrantList(grants, states.Sum(s => s.AvailableMicros) / 1_000_000m, grants.FirstOrDefault()?.Id, grants.LastOrDefault()?.Id));
    }

    private static async Task<IResult> CreateCreditGrant(string projectId, HttpContext context, Store store, StoreSync sync, GatewayOptions options, TimeProvider time)
    {
        var (body, error) = await AdminRequests.ReadObjectAsync(context);
        if (error is not null) return new ErrorResult(error);
        if (!body.TryGetProperty("amount", out var amount)) return new ErrorResult(GatewayErrors.MissingParameter("amount"));
        if (amount.ValueKind != JsonValueKind.Number || !amount.TryGetDecimal(out var dollars) || dollars <= 0 || dollars > 1_000_000_000)
            return new ErrorResult(GatewayErrors.InvalidValue("amount", "it must be a positive amount of US dollars."));
        var now = time.GetUtcNow().ToUnixTimeSeconds();
        long? Time(string name, out OpenAiError? problem)
        {
            problem = null;
            if (!body.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null) return null;
            if (value.TryGetInt64(out var seconds) && seconds >= 0) return seconds;
            problem = GatewayErrors.InvalidValue(name, "it must be a Unix time in seconds.");
            return null;
        }
        var effective = Time("effective_at", out var effectiveError) ?? now;
        var expires = Time("expires_at", out var expiresError);
        if ((effectiveError ?? expiresError) is { } timeError) return new ErrorResult(timeError);
        if (expires <= effective) return new ErrorResult(GatewayErrors.InvalidValue("expires_at", "it must be after effective_at."));
        if (await store.GetProjectAsync(projectId) is null) return NoProject(projectId);
        var grant = new CreditGrantRow
        {
            Id = ApiKeySecrets.NewId("grant_"), ProjectId = projectId, AmountMicros = (long)Math.Round(dollars * 1_000_000m),
            EffectiveAt = effective, ExpiresAt = expires, CreatedAt = now,
        };
        await store.InsertCreditGrantAsync(grant);
        await sync.ReloadAsync();
        var state = (await CreditLedger.StateAsync(store, projectId, now, options.Ledger.Retention)).First(s => s.Grant.Id == grant.Id);
        return AdminJson.Ok(new CreditGrantObject(grant.Id, projectId, grant.AmountMicros / 1_000_000m, state.UsedMicros / 1_000_000m,
            state.AvailableMicros / 1_000_000m, effective, expires, now, state.Status));
    }
}
