namespace Switchboard.Inference.Templates;

/// <summary>
/// A chat template that cannot be parsed (syntax error or unsupported construct, with line:column), or that failed
/// while rendering (<c>raise_exception</c> in the template, undefined method, type error).
/// </summary>
public sealed class ChatTemplateException : Exception
{
    public ChatTemplateException()
    {
    }

    public ChatTemplateException(string message)
        : base(message)
    {
    }

    public ChatTemplateException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    internal ChatTemplateException(SourcePos pos, string message)
        : base($"{pos}: {message}")
    {
        Line = pos.Line;
        Column = pos.Column;
    }

    /// <summary>1-based line of the offending construct, when known.</summary>
    public int? Line { get; }

    /// <summary>1-based column of the offending construct, when known.</summary>
    public int? Column { get; }
}
