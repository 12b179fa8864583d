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
        Assert.Equal(["serve", "chat", "api", "projects", "keys", "usage", "credit", "models"], commands.Select(c => c.Trim().Split(' ')[0]));

        foreach (var args in new[] { new[] { "chat", "--help" }, ["api", "chat.completions.create", "--help"], ["keys", "create", "--help"], ["usage", "--help"] })
        {
            (exit, output, _) = await cli.RunAsync(args);
            Assert.Equal(0, exit);
            Assert.Contains("Examples:\n  switchboard ", output.ReplaceLineEndings("\n"), StringComparison.Ordinal);
        }
    }
}
