using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Switchboard.Cli.Client;

namespace Switchboard.Cli.Admin;

/// <summary>
/// <c>projects list|create</c>, <c>keys create|list|revoke</c>: the Administration API from the terminal, with the
/// master or an admin key (<c>--admin-key</c> / <c>SWITCHBOARD_MASTER_KEY</c>).
/// </summary>
internal static class AdminCommands
{
    public static Command Projects(CliContext context)
    {
        var connection = new ConnectionOptions();
        var command = new Command("projects", "List and create projects (the master or an admin key).");
        connection.AddTo(command, admin: true);

        var list = new Command("list", "List the projects: id, name, created.").WithExamples("""
            Examples:
              SWITCHBOARD_MASTER_KEY=sk-... switchboard projects list
            """);
        list.SetAction((parsed, cancellationToken) => RunAsync(context, connection, parsed, async c =>
        {
            var table = new Table().AddColumns("id", "name", "created");
            foreach (var project in await AllAsync(c, "/organization/projects", cancellationToken))
                table.AddRow(Markup.Escape(project.GetProperty("id").GetString()!), Markup.Escape(project.GetProperty("name").GetString()!), Date(project.GetProperty("created_at")));
            Terminal.Console(context).Write(table);
            return 0;
        }));
        command.Add(list);

        var name = new Argument<string>("name") { Description = "The new project's name." };
        var create = new Command("create", "Create a project.") { name };
        create.WithExamples("""
            Examples:
              switchboard projects create "Team A" --admin-key sk-sb-admin-...
            """);
        create.SetAction((parsed, cancellationToken) => RunAsync(context, connection, parsed, async c =>
        {
            var project = await RawRequest.SendAsync(c, true, "POST", "/organization/projects", new JsonObject { ["name"] = parsed.GetRequiredValue(name) }, cancellationToken);
            await context.Output.WriteLineAsync($"Created project {project.GetProperty("id").GetString()} ({project.GetProperty("name").GetString()}).");
            return 0;
        }));
        command.Add(create);
        return command;
    }

    public static Command Keys(CliContext context)
    {
        var connection = new ConnectionOptions();
        var command = new Command("keys", "Create, list and revoke project API keys (the master or an admin key).");
        connection.AddTo(command, admin: true);

        var project = new Option<string>("--project") { Description = "The project (default: proj_default)." };
        var name = new Option<string>("--name") { Description = "The key's name (its service account's).", Required = true };
        var create = new Command("create", "Create a project API key; its secret is printed once and cannot be shown again.") { project, name };
        create.WithExamples("""
            Examples:
              switchboard keys create --project proj_default --name ci-bot
            """);
        create.SetAction((parsed, cancellationToken) => RunAsync(context, connection, parsed, async c =>
        {
            // OpenAI's Administration API makes project keys with service accounts: one account per key.
            var projectId = parsed.GetValue(project) ?? "proj_default";
            var account = await RawRequest.SendAsync(c, true, "POST", $"/organization/projects/{Uri.EscapeDataString(projectId)}/service_accounts",
                new JsonObject { ["name"] = parsed.GetRequiredValue(name) }, cancellationToken);
            var key = account.GetProperty("api_key");
            await context.Output.WriteLineAsync($"Created key {key.GetProperty("id").GetString()} in {projectId}:");
            await context.Output.WriteLineAsync(key.GetProperty("value").GetString());
            await context.Error.WriteLineAsync("Copy it now: the secret is stored only as a hash and will not be shown again.");
            return 0;
        }));
        command.Add(create);

        var listProject = new Option<string>("--project") { Description = "Only this project's keys (default: every project's)." };
        var list = new Command("list", "List project API keys: project, id, name, key, created, last used.") { listProject };
        list.WithExamples("""
            Examples:
              switchboard keys list
              switchboard keys list --project proj_default
            """);
        list.SetAction((parsed, cancellationToken) => RunAsync(context, connection, parsed, async c =>
        {
            var table = new Table().AddColumns("project", "id", "name", "key", "created", "last used");
            foreach (var projectId in await ProjectIdsAsync(c, parsed.GetValue(listProject), cancellationToken))
            {
                foreach (var key in await AllAsync(c, $"/organization/projects/{Uri.EscapeDataString(projectId)}/api_keys", cancellationToken))
                {
                    var owner = key.TryGetProperty("owner", out var o) && o.TryGetProperty("service_account", out var account) ? account.GetProperty("name").GetString() : null;
                    table.AddRow(Markup.Escape(projectId), Markup.Escape(key.GetProperty("id").GetString()!), Markup.Escape(owner ?? key.GetProperty("name").GetString() ?? ""),
                        Markup.Escape(key.GetProperty("redacted_value").GetString()!), Date(key.GetProperty("created_at")),
                        key.TryGetProperty("last_used_at", out var used) ? Date(used) : "never");
                }
            }
            Terminal.Console(context).Write(table);
            return 0;
        }));
        command.Add(list);

        var id = new Argument<string>("id") { Description = "The key's id (key_…)." };
        var revokeProject = new Option<string>("--project") { Description = "The key's project (default: found by searching every project)." };
        var revoke = new Command("revoke", "Revoke a project API key: it stops working at once on this gateway, within seconds on others.") { id, revokeProject };
        revoke.WithExamples("""
            Examples:
              switchboard keys revoke key_0123456789abcdef
            """);
        revoke.SetAction((parsed, cancellationToken) => RunAsync(context, connection, parsed, async c =>
        {
            var keyId = parsed.GetRequiredValue(id);
            foreach (var projectId in await ProjectIdsAsync(c, parsed.GetValue(revokeProject), cancellationToken))
            {
                var keys = await AllAsync(c, $"/organization/projects/{Uri.EscapeDataString(projectId)}/api_keys", cancellationToken);
                if (!keys.Any(k => k.GetProperty("id").GetString() == keyId)) continue;
                await RawRequest.SendAsync(c, true, "DELETE", $"/organization/projects/{Uri.EscapeDataString(projectId)}/api_keys/{Uri.EscapeDataString(keyId)}", null, cancellationToken);
                await context.Output.WriteLineAsync($"Revoked {keyId} ({projectId}).");
                return 0;
            }
            await context.Error.WriteLineAsync($"switchboard: no live key {keyId}{(parsed.GetValue(revokeProject) is { } p ? $" in {p}" : "")}.");
            return 1;
        }));
        command.Add(revoke);
        return command;
    }

    internal static Task<int> RunAsync(CliContext context, ConnectionOptions options, ParseResult parsed, Func<Connection, Task<int>> call)
    {
        var (connection, problem) = options.Resolve(parsed, context);
        return connection is null ? Task.FromResult(CommandLine.Fail(context.Error, problem!)) : ApiCall.RunAsync(context, connection, () => call(connection));
    }

    private static async Task<IReadOnlyList<string>> ProjectIdsAsync(Connection connection, string? only, CancellationToken cancellationToken) =>
        only is not null ? [only] : [.. (await AllAsync(connection, "/organization/projects", cancellationToken)).Select(p => p.GetProperty("id").GetString()!)];

    /// <summary>Every item of a paged admin list, following <c>last_id</c> while <c>has_more</c>.</summary>
    private static async Task<List<JsonElement>> AllAsync(Connection connection, string path, CancellationToken cancellationToken)
    {
        var items = new List<JsonElement>();
        string? after = null;
        while (true)
        {
            var page = await RawRequest.SendAsync(connection, true, "GET", $"{path}?limit=100{(after is null ? "" : $"&after={Uri.EscapeDataString(after)}")}", null, cancellationToken);
            items.AddRange(page.GetProperty("data").EnumerateArray());
            if (!page.TryGetProperty("has_more", out var more) || !more.GetBoolean() || !page.TryGetProperty("last_id", out var last) || last.GetString() is not { } next) return items;
            after = next;
        }
    }

    internal static string Date(JsonElement unixSeconds) => unixSeconds.ValueKind == JsonValueKind.Number
        ? DateTimeOffset.FromUnixTimeSeconds(unixSeconds.GetInt64()).UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)
        : "never";
}
