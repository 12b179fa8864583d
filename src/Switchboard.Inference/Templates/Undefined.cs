namespace Switchboard.Inference.Templates;

// Runtime values are plain .NET objects: null (None), bool, long, double, string, List<object?> (list),
// object?[] (tuple), PyDict (dict), Namespace, LoopContext and ICallable.

/// <summary>Jinja's default Undefined: falsy, renders empty, iterates as empty; most other uses are errors.</summary>
internal sealed class Undefined(string? hint)
{
    public static readonly Undefined Anonymous = new(null);

    public string Describe() => Hint is null ? "value is undefined" : $"'{Hint}' is undefined";

    public string? Hint { get; } = hint;
}
