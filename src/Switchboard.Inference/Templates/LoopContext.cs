namespace Switchboard.Inference.Templates;

/// <summary>The <c>loop</c> variable inside a for block.</summary>
internal sealed class LoopContext(IReadOnlyList<object?> items)
{
    public int Index0 { get; set; }

    public object? GetAttribute(string name) => name switch
    {
        "index" => (long)Index0 + 1,
        "index0" => (long)Index0,
        "first" => Index0 == 0,
        "last" => Index0 == items.Count - 1,
        "length" => (long)items.Count,
        "revindex" => (long)(items.Count - Index0),
        "revindex0" => (long)(items.Count - Index0 - 1),
        "previtem" => Index0 > 0 ? items[Index0 - 1] : new Undefined("loop.previtem"),
        "nextitem" => Index0 + 1 < items.Count ? items[Index0 + 1] : new Undefined("loop.nextitem"),
        "depth" => 1L,
        "depth0" => 0L,
        "cycle" => new BuiltinFunction("loop.cycle", a => a.Positional.Count == 0
            ? throw new TemplateRuntimeException("no items for cycling given")
            : a.Positional[Index0 % a.Positional.Count]),
        _ => new Undefined($"loop.{name}"),
    };
}
