using Spectre.Console;

namespace Switchboard.Cli;

/// <summary>Spectre.Console on a command's output: colour only on a terminal, never with NO_COLOR set.</summary>
internal static class Terminal
{
    public static IAnsiConsole Console(CliContext context)
    {
        var plain = context.Environment.TryGetValue("NO_COLOR", out var noColor) && !string.IsNullOrEmpty(noColor);
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(context.Output),
            ColorSystem = plain ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Ansi = plain ? AnsiSupport.No : AnsiSupport.Detect,
        });
        // Written to a file or a pipe, a table is read by scripts: never wrap an id to fit 80 columns.
        if (!ReferenceEquals(context.Output, System.Console.Out) || System.Console.IsOutputRedirected) console.Profile.Width = 400;
        return console;
    }
}
