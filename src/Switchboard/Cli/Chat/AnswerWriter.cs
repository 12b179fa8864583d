using System.Text;
using System.Text.RegularExpressions;
using Spectre.Console;

namespace Switchboard.Cli.Chat;

/// <summary>Where a streamed answer goes, piece by piece as it arrives.</summary>
internal abstract class AnswerWriter
{
    public abstract void Write(string piece);

    /// <summary>The answer ended (or was stopped): anything still open is closed.</summary>
    public abstract void Finish();
}

/// <summary>The answer as it came (for pipes, files and tests), or on a terminal without colour, only made safe for it.</summary>
internal sealed class PlainAnswer(TextWriter output, bool terminal) : AnswerWriter
{
    public override void Write(string piece)
    {
        output.Write(terminal ? TerminalText.Clean(piece) : piece);
        output.Flush();
    }

    public override void Finish() => output.Flush();
}

/// <summary>
/// An answer on a terminal: every piece is shown the moment it arrives, then each finished line that Markdown marks
/// up is redrawn styled — headings and <c>**bold**</c> in bold, <c>`code`</c> and fenced code blocks in colour
/// (a code block's lines are coloured as they stream), list items with a bullet. A line wider than the terminal is
/// left as it came (it has wrapped, and redrawing it would need the rows above). Control characters in the model's
/// output are dropped, so an answer cannot move the cursor, retitle the window or change colours by itself.
/// </summary>
internal sealed partial class MarkdownAnswer(TextWriter output, Func<int> terminalWidth) : AnswerWriter
{
    private const string Reset = "\u001b[0m";
    private const string Bold = "\u001b[1m";
    private const string Dim = "\u001b[2m";
    private const string Code = "\u001b[36m";
    private readonly StringBuilder _line = new();
    private bool _inCode;
    private bool _colored;

    public override void Write(string piece)
    {
        var clean = TerminalText.Clean(piece);
        var start = 0;
        while (start <= clean.Length)
        {
            var newline = clean.IndexOf('\n', start);
            var segment = newline < 0 ? clean[start..] : clean[start..newline];
            if (segment.Length > 0)
            {
                if (_line.Length == 0 && _inCode && !segment.TrimStart().StartsWith("```", StringComparison.Ordinal))
                {
                    output.Write(Code);
                    _colored = true;
                }
                output.Write(segment);
                _line.Append(segment);
            }
            if (newline < 0) break;
            EndLine(newline: true);
            start = newline + 1;
        }
        output.Flush();
    }

    public override void Finish()
    {
        if (_line.Length > 0) EndLine(newline: false);
        _inCode = false;
        output.Flush();
    }

    private void EndLine(bool newline)
    {
        if (_colored) output.Write(Reset);
        _colored = false;
        var line = _line.ToString();
        _line.Clear();
        string? styled;
        if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
        {
            _inCode = !_inCode;
            styled = Dim + line + Reset;
        }
        else
        {
            styled = _inCode ? null : Style(line);
        }
        // A tab's width is the terminal's to decide: such a line may have wrapped, so it is left as it came.
        if (styled is not null && styled != line && !line.Contains('\t', StringComparison.Ordinal) && line.GetCellWidth() < terminalWidth())
            output.Write("\r\u001b[K" + styled);
        if (newline) output.Write('\n');
    }

    private static string Style(string line)
    {
        if (Heading().Match(line) is { Success: true } heading) return Bold + heading.Groups[1].Value + Reset;
        if (ListItem().Match(line) is { Success: true } item) return item.Groups[1].Value + "• " + Inline(item.Groups[2].Value);
        return Inline(line);
    }

    private static string Inline(string text) =>
        InlineCode().Replace(Strong().Replace(text, m => Bold + m.Groups[1].Value + Reset), m => Code + m.Groups[1].Value + Reset);

    [GeneratedRegex(@"^#{1,6}\s+(.*)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"^(\s*)[-*+]\s+(.*)$")]
    private static partial Regex ListItem();

    [GeneratedRegex(@"\*\*(.+?)\*\*")]
    private static partial Regex Strong();

    [GeneratedRegex(@"`([^`]+)`")]
    private static partial Regex InlineCode();
}
