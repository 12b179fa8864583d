using System.Text;
using Spectre.Console;

namespace Switchboard.Cli.Chat;

/// <summary>
/// The chat's input line on a real terminal: typing and pasting echo as they come; Left/Right, Home/End (Ctrl-A/E),
/// Backspace/Delete, Ctrl-U/Ctrl-K edit anywhere in the line; Up/Down walk the lines entered before; Ctrl-D on an
/// empty line ends the input. Wide characters (Chinese) count two columns, and a line longer than the terminal is
/// redrawn across its rows.
/// </summary>
internal sealed class LineEditor(TextWriter output, Func<ConsoleKeyInfo> readKey, Func<int> terminalWidth)
{
    private readonly List<string> _history = [];

    public static LineEditor ForConsole(TextWriter output) => new(output, () => Console.ReadKey(intercept: true), () => Math.Max(1, Console.WindowWidth));

    /// <summary>The line entered, or null when the input ended (Ctrl-D on an empty line).</summary>
    public string? ReadLine(string prompt)
    {
        var text = new StringBuilder();
        var cursor = 0;
        // The row the terminal's cursor is on, counted from the prompt's.
        var row = 0;
        var recalled = _history.Count;
        var draft = "";
        output.Write(prompt);
        output.Flush();
        while (true)
        {
            var key = readKey();
            // AltGr arrives as Ctrl+Alt (Polish ą, German @): only Ctrl alone makes a shortcut.
            var control = (key.Modifiers & (ConsoleModifiers.Control | ConsoleModifiers.Alt)) == ConsoleModifiers.Control;
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    output.Write('\n');
                    output.Flush();
                    var line = text.ToString();
                    if (line.Trim().Length > 0 && (_history.Count == 0 || _history[^1] != line)) _history.Add(line);
                    return line;
                case ConsoleKey.D when control:
                    if (text.Length == 0)
                    {
                        output.Write('\n');
                        return null;
                    }
                    continue;
                case ConsoleKey.LeftArrow:
                case ConsoleKey.B when control:
                    cursor = Previous(text, cursor);
                    break;
                case ConsoleKey.RightArrow:
                case ConsoleKey.F when control:
                    cursor = Next(text, cursor);
                    break;
                case ConsoleKey.Home:
                case ConsoleKey.A when control:
                    cursor = 0;
                    break;
                case ConsoleKey.End:
                case ConsoleKey.E when control:
                    cursor = text.Length;
                    break;
                case ConsoleKey.Backspace:
                    if (cursor == 0) continue;
                    var start = Previous(text, cursor);
                    text.Remove(start, cursor - start);
                    cursor = start;
                    break;
                case ConsoleKey.Delete:
                    if (cursor == text.Length) continue;
                    text.Remove(cursor, Next(text, cursor) - cursor);
                    break;
                case ConsoleKey.U when control:
                    text.Remove(0, cursor);
                    cursor = 0;
                    break;
                case ConsoleKey.K when control:
                    text.Remove(cursor, text.Length - cursor);
                    break;
                case ConsoleKey.UpArrow:
                case ConsoleKey.P when control:
                    if (recalled == 0) continue;
                    if (recalled == _history.Count) draft = text.ToString();
                    text.Clear().Append(_history[--recalled]);
                    cursor = text.Length;
                    break;
                case ConsoleKey.DownArrow:
                case ConsoleKey.N when control:
                    if (recalled == _history.Count) continue;
                    text.Clear().Append(++recalled == _history.Count ? draft : _history[recalled]);
                    cursor = text.Length;
                    break;
                default:
                    if (key.KeyChar == '\0' || char.IsControl(key.KeyChar)) continue;
                    text.Insert(cursor, key.KeyChar);
                    cursor++;
                    if (cursor == text.Length)
                    {
                        // Typing at the end (and pasting) only echoes: the terminal wraps long lines by itself. A row
                        // just filled keeps the cursor on it (the wrap waits for the next character).
                        output.Write(key.KeyChar);
                        output.Flush();
                        row = Layout(prompt + text, terminalWidth()).Row;
                        continue;
                    }
                    break;
            }
            row = Redraw(prompt, text, row, cursor);
        }
    }

    // Moves to where the prompt starts (rows up from where the cursor was), writes prompt and text again, clears what
    // was below, then puts the cursor back at its place in the text. Returns the cursor's row.
    private int Redraw(string prompt, StringBuilder text, int row, int cursor)
    {
        var width = terminalWidth();
        var all = text.ToString();
        var screen = new StringBuilder();
        if (row > 0) screen.Append("\u001b[").Append(row).Append('A');
        screen.Append('\r').Append("\u001b[J").Append(prompt).Append(all);
        var (endRow, endColumn) = Layout(prompt + all, width);
        // A line that exactly fills its last row leaves the cursor pending at that row's end: step onto the next.
        if (endColumn == width)
        {
            screen.Append("\r\n");
            (endRow, endColumn) = (endRow + 1, 0);
        }
        var (targetRow, targetColumn) = Layout(prompt + all[..cursor], width);
        if (targetColumn == width) (targetRow, targetColumn) = (targetRow + 1, 0);
        if (endRow > targetRow) screen.Append("\u001b[").Append(endRow - targetRow).Append('A');
        screen.Append('\r');
        if (targetColumn > 0) screen.Append("\u001b[").Append(targetColumn).Append('C');
        output.Write(screen.ToString());
        output.Flush();
        return targetRow;
    }

    /// <summary>
    /// Where the terminal leaves its cursor after writing <paramref name="text"/> from the start of a row: the row, and
    /// the column (the width itself when the last row is exactly full and the wrap waits for the next character). A
    /// wide character that does not fit at a row's end goes to the next row whole, leaving the last column empty.
    /// </summary>
    internal static (int Row, int Column) Layout(string text, int width)
    {
        int row = 0, column = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            var cells = rune.ToString().GetCellWidth();
            if (cells == 0) continue;
            if (column + cells > width)
            {
                row++;
                column = 0;
            }
            column += cells;
        }
        return (row, column);
    }

    // A surrogate pair is one character to move over or delete.
    private static int Previous(StringBuilder text, int cursor) =>
        cursor == 0 ? 0 : cursor >= 2 && char.IsLowSurrogate(text[cursor - 1]) && char.IsHighSurrogate(text[cursor - 2]) ? cursor - 2 : cursor - 1;

    private static int Next(StringBuilder text, int cursor) =>
        cursor >= text.Length ? text.Length : cursor + 1 < text.Length && char.IsHighSurrogate(text[cursor]) && char.IsLowSurrogate(text[cursor + 1]) ? cursor + 2 : cursor + 1;
}
