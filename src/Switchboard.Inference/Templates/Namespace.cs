namespace Switchboard.Inference.Templates;

/// <summary>The object made by <c>namespace(...)</c>: the one thing a <c>set</c> inside a loop may change outside it.</summary>
internal sealed class Namespace
{
    public Dictionary<string, object?> Attributes { get; } = new(StringComparer.Ordinal);
}
