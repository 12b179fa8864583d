using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Switchboard.Cli.Client;

namespace Switchboard.Cli.Admin;

/// <summary><c>usage</c> (spend per day from the Costs API, with a bar per day) and <c>credit</c> (credit grants and balance).</summary>
internal static class UsageCommands
{
    public static Command Usage(CliContext context)
    {
        var connection = new ConnectionOptions();
        var since = new Option<string>("--since") { Description = "How far back: days (7d) or a date (2026-11-01). Default 7d.", DefaultValueFactory = _ => "7d" };
        var by = new Option<string>("--by") { Description = "Split each day by key, model or project.", DefaultValueFactory = _ => "model" };
        by.AcceptOnlyFromAmong("key", "model", "project");
        var command = new Command("usage", "Spend per day, with a bar chart (the master or an admin key).") { since, by };
        command.WithExamples("""
            Examples:
              switchboard usage --since 30d --by key
            """);
        connection.AddTo(command, admin: true);
        command.SetAction((parsed, cancellationToken) =>
        {
            if (Since(parsed.GetValue(since)!, DateTimeOffset.UtcNow) is not { } start)
                return Task.FromResult(CommandLine.Fail(context.Error, "--since takes days (7d, at most 365d) or a date (YYYY-MM-DD) in the past year."));
            var (groupBy, column) = parsed.GetValue(by) switch { "key" => ("api_key_id", "key"), "project" => ("project_id", "project"), _ => ("line_item", "model") };
            return AdminCommands.RunAsync(context, connection, parsed, async c =>
            {
                var rows = new List<(DateOnly Day, string Group, decimal Cost)>();
                string? page = null;
                do
                {
                    var path = $"/organization/costs?start_time={start}&bucket_width=1d&limit=31&group_by={groupBy}{(page is null ? "" : $"&page={Uri.EscapeDataString(page)}")}";
                    var result = await RawRequest.SendAsync(c, true, "GET", path, null, cancellationToken);
                    foreach (var bucket in result.GetProperty("data").EnumerateArray())
                    {
                        var day = DateOnly.FromDateTime(DateTimeOffset.FromUnixTimeSeconds(bucket.GetProperty("start_time").GetInt64()).UtcDateTime);
                        foreach (var item in bucket.GetProperty("results").EnumerateArray())
                            rows.Add((day, item.TryGetProperty(groupBy, out var g) && g.ValueKind == JsonValueKind.String ? g.GetString()! : "-", item.GetProperty("amount").GetProperty("value").GetDecimal()));
                    }
                    page = result.TryGetProperty("has_more", out var more) && more.GetBoolean() && result.TryGetProperty("next_page", out var next) ? next.GetString() : null;
                }
                while (page is not null);
                var console = Terminal.Console(context);
                if (rows.Count == 0)
                {
                    console.WriteLine("No spend in this period.");
                    return 0;
                }
                var table = new Table().AddColumns("day", column, "cost (USD)");
                table.Columns[2].RightAligned();
                foreach (var (day, group, cost) in rows.OrderBy(r => r.Day).ThenByDescending(r => r.Cost))
                    table.AddRow(day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture), Markup.Escape(group), cost.ToString("0.000000", CultureInfo.InvariantCulture));
                console.Write(table);
                var chart = new BarChart().Label("Spend per day (USD)").Width(60);
                foreach (var day in rows.GroupBy(r => r.Day).OrderBy(g => g.Key))
                    chart.AddItem(day.Key.ToString("MM-dd", CultureInfo.InvariantCulture), (double)day.Sum(r => r.Cost), Color.Green);
                console.Write(chart);
                console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Total: ${rows.Sum(r => r.Cost):0.000000}"));
                return 0;
            });
        });
        return command;
    }

    public static Command Credit(CliContext context)
    {
        var connection = new ConnectionOptions();
        var command = new Command("credit", "Credit grants (available, used or expired) and the balance: the API key's project, or every project's with the admin key only.");
        command.WithExamples("""
            Examples:
              OPENAI_API_KEY=sk-sb-... switchboard credit
            """);
        connection.AddTo(command, admin: true);
        command.SetAction((parsed, cancellationToken) => AdminCommands.RunAsync(context, connection, parsed, async c =>
        {
            // A project key sees its own project's credit; without one, the admin key sees every project's.
            var summary = await RawRequest.SendAsync(c, c.ApiKey is null, "GET", "/dashboard/billing/credit_grants", null, cancellationToken);
            var table = new Table().AddColumns("grant", "amount", "used", "status", "effective", "expires");
            foreach (var grant in summary.GetProperty("grants").GetProperty("data").EnumerateArray())
                table.AddRow(Markup.Escape(grant.GetProperty("id").GetString()!), Usd(grant.GetProperty("grant_amount")), Usd(grant.GetProperty("used_amount")),
                    Markup.Escape(grant.GetProperty("status").GetString()!), AdminCommands.Date(grant.GetProperty("effective_at")),
                    grant.TryGetProperty("expires_at", out var expires) && expires.ValueKind == JsonValueKind.Number ? AdminCommands.Date(expires) : "never");
            var console = Terminal.Console(context);
            console.Write(table);
            console.WriteLine($"Balance: {Usd(summary.GetProperty("total_available"))} of {Usd(summary.GetProperty("total_granted"))} granted.");
            return 0;
        }));
        return command;
    }

    private static string Usd(JsonElement value) => "$" + value.GetDecimal().ToString("0.00####", CultureInfo.InvariantCulture);

    /// <summary>The start (Unix seconds, a UTC day's start) that <c>--since</c> names, or null if it names none in the past year.</summary>
    internal static long? Since(string text, DateTimeOffset now)
    {
        var today = new DateTimeOffset(now.UtcDateTime.Date, TimeSpan.Zero);
        DateTimeOffset start;
        if (text.EndsWith('d') && int.TryParse(text.AsSpan(0, text.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var days) && days is >= 1 and <= 365)
            start = today.AddDays(1 - days);
        else if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            start = new DateTimeOffset(date.ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        else
            return null;
        return start > today || start < today.AddDays(-365) ? null : start.ToUnixTimeSeconds();
    }
}
