using System.CommandLine;
using Switchboard.Cli.Client;

namespace Switchboard.Cli.Api;

/// <summary>
/// <c>switchboard api RESOURCE.VERB</c>: one API call from the command line, in the classic <c>openai api</c> syntax,
/// made with the official OpenAI .NET SDK. <c>--json</c> prints the response as JSON (for <c>jq</c>); otherwise a
/// readable form. Exit codes: 0 ok, 1 API error or unreachable server, 2 usage error.
/// </summary>
internal static class ApiCommand
{
    public static Command Create(CliContext context)
    {
        var connection = new ConnectionOptions();
        var json = new Option<bool>("--json") { Description = "Print the response as JSON (one object per line for a stream).", Recursive = true };
        var command = new Command("api", "Call an API endpoint in one line, as the classic 'openai api' does.") { json };
        command.WithExamples("""
            Examples:
              switchboard api chat.completions.create -m gpt-4o-mini -g user "Hello"
              switchboard api models.list --json | jq '.data[].id'
            """);
        connection.AddTo(command);
        var shared = new ApiCommandShared(context, connection, json);
        command.Add(ChatCompletionsCreate.Create(shared));
        command.Add(CompletionsCreate.Create(shared));
        command.Add(EmbeddingsCreate.Create(shared));
        command.Add(ModerationsCreate.Create(shared));
        command.Add(ImagesGenerate.Create(shared));
        command.Add(ModelsApi.List(shared));
        command.Add(ModelsApi.Retrieve(shared));
        return command;
    }
}

/// <summary>What every <c>api</c> subcommand shares: the terminal, the connection flags and <c>--json</c>.</summary>
internal sealed record ApiCommandShared(CliContext Context, ConnectionOptions ConnectionOptions, Option<bool> Json)
{
    /// <summary>Resolves the connection, then runs the call with <see cref="ApiCall"/>'s error handling.</summary>
    public async Task<int> RunAsync(ParseResult parsed, Func<Connection, bool, Task<int>> call)
    {
        var (connection, problem) = ConnectionOptions.Resolve(parsed, Context);
        if (connection is null) return CommandLine.Fail(Context.Error, problem!);
        return await ApiCall.RunAsync(Context, connection, () => call(connection, parsed.GetValue(Json)));
    }
}
