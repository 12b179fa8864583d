namespace Switchboard.Cli;

/// <summary>
/// What a command reads and writes besides its arguments — the terminal, the environment, the working and home
/// directories — so tests run commands in-process with their own.
/// </summary>
internal sealed record CliContext(TextReader Input, TextWriter Output, TextWriter Error, bool InputRedirected,
    IReadOnlyDictionary<string, string?> Environment, string WorkingDirectory, string? HomeDirectory)
{
    public static CliContext FromProcess()
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
            environment[(string)entry.Key] = (string?)entry.Value;
        return new CliContext(Console.In, Console.Out, Console.Error, Console.IsInputRedirected, environment,
            Directory.GetCurrentDirectory(), System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile));
    }
}
