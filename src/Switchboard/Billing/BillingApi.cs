using System.Globalization;
using Switchboard.Admin;
using Switchboard.Authentication;
using Switchboard.Configuration;
using Switchboard.Errors;
using Switchboard.Storage;

namespace Switchboard.Billing;

/// <summary>
/// The legacy billing endpoints chat front-ends (NextChat and many balance checkers) call with an ordinary key to
/// show a balance: subscription (the hard limit), usage (spend per day, in cents) and credit grants — with and without
/// the <c>/v1</c> prefix, answered for the caller's project (the whole organization for the master key or in open mode).
/// </summary>
internal static class BillingApi
{
    public static IEndpointRouteBuilder MapBillingApi(this IEndpointRouteBuilder app)
    {
        foreach (var prefix in new[] { "/v1/dashboard/billing", "/dashboard/billing" })
        {
            var billing = app.MapGroup(prefix).WithTags("Billing (legacy dashboard endpoints)");
            billing.MapGet("/subscription", Subscription);
            billing.MapGet("/usage", Usage);
            billing.MapGet("/credit_grants", CreditGrants);
        }
        return app;
    }

    private static string? ProjectOf(HttpContext context) => context.Features.Get<Caller>()?.ProjectId;

    private static long Now(TimeProvider time) => time.GetUtcNow().ToUnixTimeSeconds();

    private static async Task<IResult> Subscription(HttpContext context, Store store, GatewayOptions options, TimeProvider time)
    {
        var projectId = ProjectOf(context);
        var limit = projectId is null ? null : await store.SpendLimitAsync(projectId);
        var grants = await CreditLedger.StateAsync(store, projectId, Now(time), options.Ledger.Retention);
        // What a front-end shows as "of $X": the spend limit, else what was granted, else nothing.
        var hard = limit is not null ? limit.ThresholdCents / 100m : grants.Sum(g => g.Grant.AmountMicros) / 1_000_000m;
        var name = projectId is null ? "Switchboard" : (await store.GetProjectAsync(projectId))?.Name ?? projectId;
        return AdminJson.Ok(new SubscriptionObject(false, false, null, Now(time) + 365 * 86_400, hard, hard, hard, new Plan("Switchboard", "switchboard"), name));
    }

    private static async Task<IResult> Usage(HttpContext context, Store store, TimeProvider time)
    {
        var query = context.Request.Query;
        if (!TryDate(query["start_date"], out var start)) return new ErrorResult(GatewayErrors.InvalidValue("start_date", "it must be a date as YYYY-MM-DD."));
        if (!TryDate(query["end_date"], out var end)) return new ErrorResult(GatewayErrors.InvalidValue("end_date", "it must be a date as YYYY-MM-DD."));
        if (end <= start || end - start > 100 * 86_400) return new ErrorResult(GatewayErrors.InvalidValue("end_date", "it must be after start_date, and at most 100 days after it."));
        var projectId = ProjectOf(context);
        var rows = await store.LedgerAsync(start, end, projectId is null ? null : [projectId]);
        var days = new List<DailyCost>();
        for (var day = start; day < end; day += 86_400)
        {
            var items = rows.Where(r => r.At >= day && r.At < day + 86_400 && r.CostMicros > 0).GroupBy(r => r.Model).OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new LineItem(g.Key, g.Sum(r => r.CostMicros) / 10_000m)).ToList();
            days.Add(new DailyCost(day, items));
        }
        return AdminJson.Ok(new UsageObject(days, rows.Sum(r => r.CostMicros) / 10_000m));
    }

    private static async Task<IResult> CreditGrants(HttpContext context, Store store, GatewayOptions options, TimeProvider time)
    {
        var states = await CreditLedger.StateAsync(store, ProjectOf(context), Now(time), options.Ledger.Retention);
        var grants = states.Select(s => new CreditGrantObject(s.Grant.Id, s.Grant.AmountMicros / 1_000_000m, s.UsedMicros / 1_000_000m,
            s.Grant.EffectiveAt, s.Grant.ExpiresAt, s.Status)).ToList();
        return AdminJson.Ok(new CreditSummary(
            states.Sum(s => s.Grant.AmountMicros) / 1_000_000m, states.Sum(s => s.UsedMicros) / 1_000_000m, states.Sum(s => s.AvailableMicros) / 1_000_000m,
            new GrantList(grants)));
    }

    private static bool TryDate(string? text, out long unix)
    {
        var ok = DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date);
        unix = ok ? new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero).ToUnixTimeSeconds() : 0;
        return ok;
    }

    private sealed record Plan(string Title, string Id);

    private sealed record SubscriptionObject(bool HasPaymentMethod, bool Canceled, long? CanceledAt, long AccessUntil, decimal SoftLimitUsd, decimal HardLimitUsd,
        decimal SystemHardLimitUsd, Plan Plan, string AccountName, string Object = "billing_subscription");

    private sealed record LineItem(string Name, decimal Cost);

    private sealed record DailyCost(long Timestamp, IReadOnlyList<LineItem> LineItems);

    private sealed record UsageObject(IReadOnlyList<DailyCost> DailyCosts, decimal TotalUsage, string Object = "list");

    private sealed record CreditGrantObject(string Id, decimal GrantAmount, decimal UsedAmount, long EffectiveAt, long? ExpiresAt, string Status, string Object = "credit_grant");

    private sealed record GrantList(IReadOnlyList<CreditGrantObject> Data, string Object = "list");

    private sealed record CreditSummary(decimal TotalGranted, decimal TotalUsed, decimal TotalAvailable, GrantList Grants, string Object = "credit_summary");
}
