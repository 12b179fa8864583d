using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Switchboard.Cli.Client;

namespace Switchboard.Cli;

/// <summary><c>switchboard status</c>: the gateway's readiness and each circuit breaker, from its <c>/readyz</c>, as a table.</summary>
internal static class StatusCommand
{
    public static Command Create(CliContext context)
    {
        var connection = new ConnectionOptions();
        var command = new Command("status", "Whether the gateway is ready, and each provider's circuit breaker and last failure.");
        command.WithExamples("""
            Examples:
              switchboard status
              switchboard status --base-url http://gateway.internal:8080/v1
            """);
        // The gateway's own address (--base-url or SWITCHBOARD_URL), as the admin commands take it: OPENAI_BASE_URL
        // may name the gateway's upstream.
        connection.AddTo(command, admin: true);
        command.SetAction((parsed, cancellationToken) => Admin.AdminCommands.RunAsync(context, connection, parsed, async c =>
        {
            // /readyz is at the server's root, beside the API's /v1. A plain GET, not the SDK's pipeline: a draining
            // gateway's 503 is an answer to show, not an error to retry.
            using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
            using var response = await http.GetAsync(new Uri(c.BaseUrl, "/readyz"), cancellationToken);
            if (!response.IsSuccessStatusCode && response.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable)
                throw new HttpRequestException($"/readyz answered {(int)response.StatusCode}", null, response.StatusCode);
            using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            var status = document.RootElement;
            var console = Terminal.Console(context);
            var ready = status.GetProperty("status").GetString();
            console.MarkupLine(ready == "ready" ? $"[green]ready[/] {Markup.Escape(c.BaseUrl.ToString())}" : $"[red]{Markup.Escape(ready ?? "?")}[/]");
            var table = new Table().AddColumns("provider", "guarding", "circuit", "last failure", "at (UTC)");
            foreach (var provider in status.TryGetProperty("providers", out var list) ? list.EnumerateArray() : default)
            {
                var circuit = provider.GetProperty("circuit").GetString()!;
                var failure = provider.GetProperty("last_failure");
                table.AddRow(
                    Markup.Escape(provider.GetProperty("provider").GetString()!),
                    Markup.Escape(provider.GetProperty("guarding").GetString()!),
                    circuit switch { "closed" => "[green]closed[/]", "half_open" => "[yellow]half-open[/]", _ => "[red]open[/]" },
                    failure.ValueKind == JsonValueKind.Object ? Markup.Escape(failure.GetProperty("reason").GetString()!) : "-",
                    failure.ValueKind == JsonValueKind.Object
                        ? DateTimeOffset.FromUnixTimeSeconds(failure.GetProperty("at").GetInt64()).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)
                        : "-");
            }
            console.Write(table);
            return ready == "ready" ? 0 : 1;
        }));
        return command;
    }
}
