namespace Switchboard.Inference.Constraints;

/// <summary>A schema the constraint cannot follow: a keyword outside the subset, a malformed value, or one no value can satisfy.</summary>
public sealed class UnsupportedSchemaException(string keyword, string path, string problem)
    : Exception($"'{keyword}' at {path}: {problem}")
{
    /// <summary>The keyword at fault.</summary>
    public string Keyword { get; } = keyword;

    /// <summary>Where it is, as a JSON pointer fragment (<c>#/properties/name</c>).</summary>
    public string Path { get; } = path;
}
