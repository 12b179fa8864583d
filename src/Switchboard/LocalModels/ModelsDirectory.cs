using System.Text.RegularExpressions;

namespace Switchboard.LocalModels;

/// <summary>
/// Where local models live: <c>--models-dir</c>, else <c>SWITCHBOARD_MODELS_DIR</c>, else <c>./models</c>. Every
/// <c>*.gguf</c> in it is a model named after its file (without <c>.gguf</c>); names are plain file names, so a
/// name can never reach outside the directory.
/// </summary>
internal sealed partial class ModelsDirectory(string path)
{
    public const string EnvironmentVariable = "SWITCHBOARD_MODELS_DIR";

    public string Path { get; } = System.IO.Path.GetFullPath(path);

    public static ModelsDirectory Resolve(string? flag) =>
        new(flag ?? (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured ? configured : "models"));

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")]
    private static partial Regex NameRule();

    public static bool IsValidName(string name) => NameRule().IsMatch(name) && !name.Contains("..", StringComparison.Ordinal);

    /// <summary>The model files, by name.</summary>
    public IReadOnlyList<(string Name, string File)> List() =>
        Directory.Exists(Path)
            ? Directory.EnumerateFiles(Path, "*.gguf").Select(f => (System.IO.Path.GetFileNameWithoutExtension(f), f)).OrderBy(m => m.Item1, StringComparer.Ordinal).ToList()
            : [];

    /// <summary>The file a model of this name has (or would have); null for a name that is not a plain file name.</summary>
    public string? FileFor(string name) => IsValidName(name) ? System.IO.Path.Combine(Path, name + ".gguf") : null;
}
