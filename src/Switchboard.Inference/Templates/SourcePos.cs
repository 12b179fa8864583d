namespace Switchboard.Inference.Templates;

internal readonly record struct SourcePos(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}
