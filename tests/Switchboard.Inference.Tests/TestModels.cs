namespace Switchboard.Inference.Tests;

/// <summary>
/// Finds the shared test models: <c>SWITCHBOARD_TEST_MODELS</c> if set, else <c>../shared/models</c> beside the
/// repository root (where CI has them). Third-party weights are never committed to the repository.
/// </summary>
public static class TestModels
{
    public static string? Directory { get; } = Locate();

    public static string SkipReason =>
        "skipped: test models not found (set SWITCHBOARD_TEST_MODELS, or put them at ../shared/models beside the repository)";

    public static string PathOf(string relative) => Path.Combine(Directory ?? throw new InvalidOperationException(SkipReason), relative);

    /// <summary>A llama.cpp reference output from <c>../shared/reference</c> (beside the models folder).</summary>
    public static System.Text.Json.JsonElement Reference(string name) =>
        System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.GetFullPath(Path.Combine(PathOf(".."), "reference", name)))).RootElement;

    public static int[] Ints(System.Text.Json.JsonElement array) => array.EnumerateArray().Select(t => t.GetInt32()).ToArray();

    private static string? Locate()
    {
        if (Environment.GetEnvironmentVariable("SWITCHBOARD_TEST_MODELS") is { Length: > 0 } configured)
            return System.IO.Directory.Exists(configured) ? configured : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Switchboard.slnx")))
            {
                var models = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "models"));
                return System.IO.Directory.Exists(models) ? models : null;
            }
        }
        return null;
    }
}

/// <summary>A fact that needs the shared test models; reported as skipped, with the reason, when they are absent.</summary>
public sealed class ModelFactAttribute : FactAttribute
{
    public ModelFactAttribute()
    {
        if (TestModels.Directory is null) Skip = TestModels.SkipReason;
    }
}

/// <summary>A theory that needs the shared test models; reported as skipped, with the reason, when they are absent.</summary>
public sealed class ModelTheoryAttribute : TheoryAttribute
{
    public ModelTheoryAttribute()
    {
        if (TestModels.Directory is null) Skip = TestModels.SkipReason;
    }
}
