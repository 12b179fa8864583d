namespace Switchboard.Tests.Fixtures;

/// <summary>
/// The small real models in <c>../shared/models</c> beside the repository (or <c>SWITCHBOARD_TEST_MODELS</c>), and
/// llama.cpp's outputs for them in <c>../shared/reference</c>. Never copied into the repository.
/// </summary>
public static class SharedModels
{
    public static string? Directory { get; } = Locate();

    public static string Reference(string name) => Path.GetFullPath(Path.Combine(Directory!, "..", "reference", name));

    private static string? Locate()
    {
        if (Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_MODELS") is { Length: > 0 } configured)
            return System.IO.Directory.Exists(configured) ? configured : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Switchboard.slnx")))
            {
                var models = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "models"));
                return File.Exists(Path.Combine(models, "stories260K.gguf")) ? models : null;
            }
        }
        return null;
    }
}

/// <summary>A fact that serves the shared test models; reported as skipped, with the reason, where they are not.</summary>
public sealed class SharedModelFactAttribute : FactAttribute
{
    public SharedModelFactAttribute()
    {
        if (SharedModels.Directory is null)
            Skip = "skipped: the shared test models are not at ../shared/models beside the repository (or SWITCHBOARD_TEST_MODELS)";
    }
}
