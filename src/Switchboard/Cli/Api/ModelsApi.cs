using System.CommandLine;
using System.Globalization;
using Spectre.Console;

namespace Switchboard.Cli.Api;

/// <summary><c>api models.list</c> and <c>api models.retrieve -i ID</c>.</summary>
internal static class ModelsApi
{
    public static Command List(ApiCommandShared shared)
    {
        var command = new Command("models.list", "List the models the server offers (id, owner, created).");
        command.WithExamples("""
            Examples:
              switchboard api models.list
              switchboard api models.list --json | jq -r '.data[].id'
            """);
        command.SetAction((parsed, cancellationToken) => shared.RunAsync(parsed, async (connection, json) =>
        {
            var result = await connection.Client().GetOpenAIModelClient().GetModelsAsync(cancellationToken);
            if (json)
            {
                await shared.Context.Output.WriteLineAsync(result.GetRawResponse().Content.ToString());
                return 0;
            }
            var table = new Table().AddColumns("id", "owned by", "created");
            foreach (var model in result.Value)
                table.AddRow(Markup.Escape(model.Id), Markup.Escape(model.OwnedBy ?? ""), model.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            Terminal.Console(shared.Context).Write(table);
            return 0;
        }));
        return command;
    }

    public static Command Retrieve(ApiCommandShared shared)
    {
        var id = new Option<string>("--id", "-i") { Description = "The model's id.", Required = true };
        var command = new Command("models.retrieve", "Show one model.") { id };
        command.WithExamples("""
            Examples:
              switchboard api models.retrieve -i gpt-4o-mini
            """);
        command.SetAction((parsed, cancellationToken) => shared.RunAsync(parsed, async (connection, json) =>
        {
            var result = await connection.Client().GetOpenAIModelClient().GetModelAsync(parsed.GetRequiredValue(id), cancellationToken);
            await shared.Context.Output.WriteLineAsync(json
                ? result.GetRawResponse().Content.ToString()
                : $"{result.Value.Id}  owned by {result.Value.OwnedBy}  created {result.Value.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)}");
            return 0;
        }));
        return command;
    }
}
