namespace Switchboard.Inference.Templates;

/// <summary>Positional and keyword arguments of a call, filter or test (for filters and tests, without the subject).</summary>
internal sealed class CallArgs(IReadOnlyList<object?> positional, IReadOnlyList<KeyValuePair<string, object?>> named)
{
    public static readonly CallArgs Empty = new([], []);

    public IReadOnlyList<object?> Positional { get; } = positional;

    public IReadOnlyList<KeyValuePair<string, object?>> Named { get; } = named;

    public static CallArgs Of(params object?[] positional) => new(positional, []);

    public bool TryGet(int index, string? name, out object? value)
    {
        if (index >= 0 && index < Positional.Count)
        {
            value = Positional[index];
            return true;
        }

        foreach (var (key, v) in Named)
        {
            if (string.Equals(key, name, StringComparison.Ordinal))
            {
                value = v;
                return true;
            }
        }

        value = null;
        return false;
    }

    public object? Get(int index, string? name, object? fallback = null) => TryGet(index, name, out var value) ? value : fallback;

    public CallArgs Skip(int count) => new(Positional.Skip(count).ToList(), Named);

    public void ExpectAtMost(int positional, string what)
    {
        if (Positional.Count > positional) throw new TemplateRuntimeException($"{what} takes at most {positional} positional argument(s), got {Positional.Count}");
    }
}
