namespace Switchboard.Cli;

/// <summary>
/// What a command reads and writes besides its arguments — the terminal, the environment, the working and home
/// directories — so tests run commands in-process with their own.
/// </summary>
internal sealed record CliContext(TextReader Input, TextWriter Output, TextWriter Error, bool InputRedirected,
    IReadOnlyDictionary<string, string?> Environment, string WorkingDirectory, string? HomeDirectory)
{
    /// <summary>Whether <see cref="Output"/> is a terminal (not a pipe or a file), where control characters would act.</summary>
    public bool OutputIsTerminal { get; init; }

    /// <summary>A model's text as it may be shown: on a terminal without escape sequences or control characters; elsewhere exactly as it came.</summary>
    public string Shown(string modelText) => OutputIsTerminal ? TerminalText.Clean(modelText) : modelText;

    public static CliContext FromProcess()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
            environment[(string)entry.Key] = (string?)entry.Value;
        return new CliContext(Console.In, Console.Out, Console.Error, Console.IsInputRedirected, environment,
            Directory.GetCurrentDirectory(), System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile))
        {
            OutputIsTerminal = !Console.IsOutputRedirected,
        };
    }
}
