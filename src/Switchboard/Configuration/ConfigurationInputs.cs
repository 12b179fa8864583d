namespace Switchboard.Configuration;

/// <summary>
/// Where configuration comes from. Injected (rather than read from the process) so tests can run
/// a gateway without the developer's own <c>~/.openai/config</c> or environment leaking in.
/// </summary>
public sealed record ConfigurationInputs
{
    public required string WorkingDirectory { get; init; }
    public string? HomeDirectory { get; init; }
    /// <summary>An explicit config file (<c>--config</c>); otherwise <c>switchboard.json|yaml|yml</c> in the working directory.</summary>
    public string? ConfigFile { get; init; }
    /// <summary>An explicit .env file (<c>--env-file</c>); otherwise <c>.env</c> in the working directory.</summary>
    public string? EnvFile { get; init; }
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();
    /// <summary>Command-line flags, already mapped to configuration keys; they win over everything.</summary>
    public IReadOnlyDictionary<string, string?> Overrides { get; init; } = new Dictionary<string, string?>();

    public static ConfigurationInputs FromProcess(string? configFile, string? envFile, IReadOnlyDictionary<string, string?> overrides)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (System.Collections.DictionaryEntry entry in System.Environment.GetEnvironmentVariables())
            environment[(string)entry.Key] = (string?)entry.Value;
        return new ConfigurationInputs
        {
            WorkingDirectory = Directory.GetCurrentDirectory(),
            HomeDirectory = System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile),
            ConfigFile = configFile,
            EnvFile = envFile,
            Environment = environment,
            Overrides = overrides,
        };
    }
}
