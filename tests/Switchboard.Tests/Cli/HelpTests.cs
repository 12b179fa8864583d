namespace Switchboard.Tests.Cli;

/// <summary><c>switchboard --help</c>: every command on one line; each command's own help ends with examples.</summary>
public sealed class HelpTests
{
    [Fact]
    public async Task The_root_help_lists_every_command_on_one_line_and_a_commands_help_shows_its_examples()
    {
        var cli = new CliRun();
        var (exit, output, _) = await cli.RunAsync("--help");
        Assert.Equal(0, exit);
        var commands = output.ReplaceLineEndings("\n").Split("Commands:\n")[1].TrimEnd().Split('\n');
        Assert.Equal(["serve", "chat", "api", "projects", "keys", "usage", "credit", "models", "status"], commands.Select(c => c.Trim().Split(' ')[0]));

        // Every command that does something (not the groups) shows examples under its own --help.
        var root = Switchboard.Cli.CommandLine.Build(new Switchboard.Cli.CliContext(TextReader.Null, TextWriter.Null, TextWriter.Null, false,
            new Dictionary<string, string?>(), cli.WorkingDirectory, cli.HomeDirectory));
        var paths = new List<string[]>();
        void Walk(System.CommandLine.Command command, string[] path)
        {
            if (command.Subcommands.Count == 0) paths.Add(path);
            foreach (var sub in command.Subcommands) Walk(sub, [.. path, sub.Name]);
        }
        Walk(root, []);
        Assert.True(paths.Count >= 19, $"only {paths.Count} commands");
        foreach (var path in paths)
        {
            (exit, output, _) = await cli.RunAsync([.. path, "--help"]);
            Assert.Equal(0, exit);
            Assert.True(output.ReplaceLineEndings("\n").Contains("Examples:\n  ", StringComparison.Ordinal), $"switchboard {string.Join(' ', path)} --help shows no examples");
        }
    }
}
