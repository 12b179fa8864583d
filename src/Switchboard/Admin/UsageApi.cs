using System.Globalization;
using Microsoft.Extensions.Primitives;
using Switchboard.Errors;
using Switchboard.Storage;

namespace Switchboard.Admin;

/// <summary>
/// OpenAI's Usage and Costs API over the ledger: time buckets of 1m / 1h / 1d from <c>start_time</c>, filters by
/// project, key and model, <c>group_by</c>, and page cursors. Requests count once they were served (status 200, or
/// 499 for a client that left mid-answer, with the tokens produced until then); refused and failed requests are in the
/// ledger but use no tokens and cost nothing. Buckets that start on a whole hour (UTC) are read from the hourly or
/// daily rollup, so they reach back past the raw rows' retention; minute buckets from the raw rows.
/// </summary>
internal static class UsageApi
{
    private static readonly Dictionary<string, string[]> EndpointsOf = new()
    {
        ["completions"] = ["chat/completions", "completions"],
        ["embeddings"] = ["embeddings"],
        ["moderations"] = ["moderations"],
        ["images"] = ["images/generations"],
    };

    public static RouteGroupBuilder MapUsageApi(this RouteGroupBuilder organization)
    {
        organization.MapGet("/usage/{kind}", Usage);
        organization.MapGet("/costs", Costs);
        return organization;
    }

    private sealed record Query(long Start, long End, long Width, int Limit, long PageStart, string[] ProjectIds, string[] KeyIds, string[] Models, string[] GroupBy);

    private static (Query? Query, OpenAiError? Error) Read(HttpRequest request, TimeProvider time, bool costs)
    {
        var q = request.Query;
        if (!long.TryParse(q["start_time"], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
            return (null, q.ContainsKey("start_time") ? GatewayErrors.InvalidValue("start_time", "it must be a Unix time in seconds.") : GatewayErrors.MissingParameter("start_time"));
        var end = time.GetUtcNow().ToUnixTimeSeconds();
        if (q.ContainsKey("end_time") && !long.TryParse(q["end_time"], NumberStyles.None, CultureInfo.InvariantCulture, out end))
            return (null, GatewayErrors.InvalidValue("end_time", "it must be a Unix time in seconds."));
        if (end <= start) return (null, GatewayErrors.InvalidValue("end_time", "it must be after start_time."));
        var widthName = q["bucket_width"].ToString() is { Length: > 0 } w ? w : "1d";
        long width;
        int defaultLimit, maxLimit;
        switch (widthName)
        {
            case "1d": (width, defaultLimit, maxLimit) = (86_400, 7, 31); break;
            case "1h" when !costs: (width, defaultLimit, maxLimit) = (3_600, 24, 168); break;
            case "1m" when !costs: (width, defaultLimit, maxLimit) = (60, 60, 1_440); break;
            default: return (null, GatewayErrors.InvalidValue("bucket_width", costs ? "costs come in buckets of 1d." : "it must be 1m, 1h or 1d."));
        }
        var limit = defaultLimit;
        if (q.ContainsKey("limit") && (!int.TryParse(q["limit"], NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit < 1 || limit > maxLimit))
            return (null, GatewayErrors.InvalidValue("limit", $"it must be an integer from 1 to {maxLimit} for buckets of {widthName}."));
        var pageStart = start;
        if (q["page"].ToString() is { Length: > 0 } page && (!long.TryParse(page, NumberStyles.None, CultureInfo.InvariantCulture, out pageStart) || pageStart < start || (pageStart - start) % width != 0))
            return (null, GatewayErrors.InvalidValue("page", "it must be a next_page value from an earlier answer."));
        var groupBy = List(q, "group_by");
        string[] allowed = costs ? ["project_id", "line_item", "api_key_id"] : ["project_id", "user_id", "api_key_id", "model", "batch", "service_tier"];
        if (groupBy.FirstOrDefault(g => !allowed.Contains(g)) is { } bad)
            return (null, GatewayErrors.InvalidValue("group_by", $"'{bad}' is not one of {string.Join(", ", allowed)}."));
        return (new Query(start, end, width, limit, pageStart, List(q, "project_ids"), List(q, "api_key_ids"), List(q, "models"), groupBy), null);
    }

    /// <summary>An array parameter, as <c>name=a&amp;name=b</c>, <c>name[]=a</c> or <c>name=a,b</c>.</summary>
    private static string[] List(IQueryCollection query, string name) =>
        [.. StringValues.Concat(query[name], query[name + "[]"]).SelectMany(v => (v ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).Distinct()];

    private static async Task<IResult> Usage(string kind, HttpRequest request, Store store, TimeProvider time)
    {
        if (!EndpointsOf.TryGetValue(kind, out var endpoints)) return new ErrorResult(GatewayErrors.UnknownRoute(request.Method, request.Path.Value ?? ""));
        var (query, error) = Read(request, time, costs: false);
        if (error is not null) return new ErrorResult(error);
        var rows = await RowsAsync(store, query!, endpoints);
        var groupBy = query!.GroupBy;
        return AdminJson.Ok(Page(query, rows, bucket => bucket
            .GroupBy(r => (
                Project: groupBy.Contains("project_id") ? r.Row.ProjectId : null,
                Key: groupBy.Contains("api_key_id") ? r.Row.ApiKeyId : null,
                Model: groupBy.Contains("model") ? r.Row.Model : null))
            .OrderBy(g => g.Key.Project, StringComparer.Ordinal).ThenBy(g => g.Key.Key, StringComparer.Ordinal).ThenBy(g => g.Key.Model, StringComparer.Ordinal)
            .Select(g => (object)new UsageResult(
                $"organization.usage.{kind}.result", g.Sum(r => r.Row.InputTokens), g.Sum(r => r.Row.OutputTokens), g.Sum(r => r.Row.CachedTokens),
                g.Sum(r => r.Row.InputTokens - r.Row.CachedTokens), 0, 0, g.Sum(r => r.Requests), g.Key.Project, null, g.Key.Key, g.Key.Model,
                groupBy.Contains("batch") ? false : null))));
    }

    private static async Task<IResult> Costs(HttpRequest request, Store store, TimeProvider time)
    {
        var (query, error) = Read(request, time, costs: true);
        if (error is not null) return new ErrorResult(error);
        var rows = await RowsAsync(store, query!, null);
        var groupBy = query!.GroupBy;
        return AdminJson.Ok(Page(query, rows, bucket => bucket
            .GroupBy(r => (
                Project: groupBy.Contains("project_id") ? r.Row.ProjectId : null,
                Key: groupBy.Contains("api_key_id") ? r.Row.ApiKeyId : null,
                Item: groupBy.Contains("line_item") ? r.Row.Model : null))
            .OrderBy(g => g.Key.Project, StringComparer.Ordinal).ThenBy(g => g.Key.Key, StringComparer.Ordinal).ThenBy(g => g.Key.Item, StringComparer.Ordinal)
            .Select(g => (object)new CostResult(new Amount(g.Sum(r => r.Row.CostMicros) / 1_000_000m, "usd"), g.Key.Item, g.Key.Project, g.Key.Key))));
    }

    /// <summary>The served requests of the page's time range that pass the filters, each with the number of requests it stands for.</summary>
    private static async Task<List<(LedgerRow Row, long Requests)>> RowsAsync(Store store, Query query, string[]? endpoints)
    {
        var pageEnd = Math.Min(query.End, query.PageStart + query.Width * query.Limit);
        // A rollup serves buckets made of whole periods of it: day buckets from midnight, any bucket of whole hours from a whole hour.
        var rollup = query.Width % 86_400 == 0 && query.Start % 86_400 == 0 ? Rollup.Daily
            : query.Width % 3_600 == 0 && query.Start % 3_600 == 0 ? Rollup.Hourly
            : null;
        var rows = rollup is not null
            ? await store.RollupAsync(rollup, query.PageStart, pageEnd, query.ProjectIds)
            : [.. (await store.LedgerAsync(query.PageStart, pageEnd, query.ProjectIds)).Where(r => r.Status is 200 or StatusCodes.Status499ClientClosedRequest).Select(r => (r, 1L))];
        return [.. rows.Where(x => (endpoints is null || endpoints.Contains(x.Row.Endpoint))
            && (query.KeyIds.Length == 0 || (x.Row.ApiKeyId is not null && query.KeyIds.Contains(x.Row.ApiKeyId)))
            && (query.Models.Length == 0 || query.Models.Contains(x.Row.Model)))];
    }

    /// <summary>The page's buckets from <c>page</c> (or <c>start_time</c>), empty ones included, as OpenAI lists them.</summary>
    private static UsagePage Page(Query query, List<(LedgerRow Row, long Requests)> rows, Func<IEnumerable<(LedgerRow Row, long Requests)>, IEnumerable<object>> results)
    {
        var buckets = new List<Bucket>();
        var byBucket = rows.ToLookup(r => (r.Row.At - query.Start) / query.Width);
        var bucketStart = query.PageStart;
        for (var i = 0; i < query.Limit && bucketStart < query.End; i++, bucketStart += query.Width)
        {
            var index = (bucketStart - query.Start) / query.Width;
            buckets.Add(new Bucket(bucketStart, Math.Min(bucketStart + query.Width, query.End), [.. results(byBucket[index])]));
        }
        var more = bucketStart < query.End;
        return new UsagePage(buckets, more, more ? bucketStart.ToString(CultureInfo.InvariantCulture) : null);
    }

    private sealed record UsagePage(IReadOnlyList<Bucket> Data, bool HasMore, string? NextPage, string Object = "page");

    private sealed record Bucket(long StartTime, long EndTime, IReadOnlyList<object> Results, string Object = "bucket");

    private sealed record UsageResult(string Object, long InputTokens, long OutputTokens, long InputCachedTokens, long InputUncachedTokens,
        long InputAudioTokens, long OutputAudioTokens, long NumModelRequests, string? ProjectId, string? UserId, string? ApiKeyId, string? Model, bool? Batch);

    private sealed record Amount(decimal Value, string Currency);

    private sealed record CostResult(Amount Amount, string? LineItem, string? ProjectId, string? ApiKeyId, string Object = "organization.costs.result");
}
