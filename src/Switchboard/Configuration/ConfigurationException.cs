namespace Switchboard.Configuration;

/// <summary>Invalid configuration: every problem found, each naming its key (or file) and what is wrong with it.</summary>
public sealed class ConfigurationException(IReadOnlyList<string> problems) : Exception(Describe(problems))
{
    public ConfigurationException(string problem) : this([problem]) { }

    public IReadOnlyList<string> Problems { get; } = problems;

    private static string Describe(IReadOnlyList<string> problems) => problems.Count == 1
        ? problems[0]
        : $"{problems.Count} problems:{string.Concat(problems.Select(p => Environment.NewLine + "  " + p))}";
}
