namespace Switchboard.Inference.Templates;

/// <summary>A variable scope: the template, a loop iteration, or a macro call; lookups fall through to the parent.</summary>
internal sealed class Frame(Frame? parent)
{
    private readonly Dictionary<string, object?> _variables = new(StringComparer.Ordinal);

    public Frame? Parent { get; } = parent;

    public bool TryGet(string name, out object? value)
    {
        for (var frame = this; frame is not null; frame = frame.Parent)
        {
            if (frame._variables.TryGetValue(name, out value)) return true;
        }

        value = null;
        return false;
    }

    public void Set(string name, object? value) => _variables[name] = value;
}
