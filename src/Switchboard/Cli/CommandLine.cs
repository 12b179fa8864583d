using System.CommandLine;

namespace Switchboard.Cli;

/// <summary>The <c>switchboard</c> command line. Exit codes: 0 ok, 1 runtime failure, 2 bad usage or configuration.</summary>
public static class CommandLine
{
    public static Task<int> RunAsync(string[] args) => RunAsync(args, CliContext.FromProcess());

    internal static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error) =>
        RunAsync(args, CliContext.FromProcess() with { Output = output, Error = error });

    internal static async Task<int> RunAsync(string[] args, CliContext context)
    {
        var (output, error) = (context.Output, context.Error);
        var root = Build(context);
        // Signals are the host's to handle: `serve` drains requests for up to 30 s, longer than the parser would wait.
        var invocation = new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null };
        if (args.Length == 0)
        {
            // Bare `switchboard` is a usage error that shows the usage.
            await root.Parse(["--help"]).InvokeAsync(invocation);
            return 2;
        }
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && !HelpExamples.IsHelp(parsed))
        {
            // An unknown word is the problem to name; "a command is required" would only repeat it.
            var problems = parsed.UnmatchedTokens.Count > 0 ? parsed.Errors.Where(e => e.Message.Contains('\'', StringComparison.Ordinal)) : parsed.Errors;
            foreach (var problem in problems) await error.WriteLineAsync($"switchboard: {problem.Message}");
            await error.WriteLineAsync("Run 'switchboard --help' for the commands and their options.");
            return 2;
        }
        return await parsed.InvokeAsync(invocation);
    }

    /// <summary>Every command, each with its options, help and examples.</summary>
    internal static RootCommand Build(CliContext context)
    {
        var root = new RootCommand("Switchboard: an OpenAI-compatible LLM gateway, with local models that run in-process on CPU.")
        {
            ServeCommand.Create(),
            Chat.ChatCommand.Create(context),
            Api.ApiCommand.Create(context),
            Admin.AdminCommands.Projects(context),
            Admin.AdminCommands.Keys(context),
            Admin.UsageCommands.Usage(context),
            Admin.UsageCommands.Credit(context),
            ModelsCommand.Create(context.Output, context.Error),
            StatusCommand.Create(context),
        };
        HelpExamples.Install(root);
        return root;
    }

    /// <summary>Writes a usage or configuration problem the way every command does, and gives its exit code.</summary>
    internal static int Fail(TextWriter error, string message)
    {
        error.WriteLine($"switchboard: {message}");
        return 2;
    }
}
