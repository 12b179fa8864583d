namespace Switchboard.Inference.Templates;

internal enum TokenKind
{
    Text,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    End,
}

/// <param name="Kind">What sort of token.</param>
/// <param name="Value">The text, name, operator, or the string literal's decoded value.</param>
/// <param name="Pos">Where it starts.</param>
/// <param name="Number">For <see cref="TokenKind.Integer"/> (a long) and <see cref="TokenKind.Float"/> (a double).</param>
internal sealed record Token(TokenKind Kind, string Value, SourcePos Pos, object? Number = null)
{
    public bool Is(TokenKind kind, string value) => Kind == kind && string.Equals(Value, value, StringComparison.Ordinal);

    public bool IsName(string name) => Is(TokenKind.Name, name);

    public bool IsOp(string op) => Is(TokenKind.Operator, op);

    public string Describe() => Kind switch
    {
        TokenKind.End => "end of template",
        TokenKind.VariableEnd => "'}}'",
        TokenKind.BlockEnd => "'%}'",
        TokenKind.Text => "template text",
        TokenKind.String => "string literal",
        _ => $"'{Value}'",
    };
}
