using Switchboard.Cli.Chat;

namespace Switchboard.Tests.Cli;

/// <summary>The chat's line editor fed keys directly: editing, history, end of input, and redraws of lines wider than the terminal.</summary>
public sealed class LineEditorTests
{
    private static ConsoleKeyInfo Key(ConsoleKey key, bool control = false) => new('\0', key, false, false, control);

    private static IEnumerable<ConsoleKeyInfo> Text(string text) => text.Select(c => new ConsoleKeyInfo(c, ConsoleKey.A, false, false, false));

    private static (LineEditor Editor, StringWriter Screen, Queue<ConsoleKeyInfo> Keys) Editor(int width = 80)
    {
        var keys = new Queue<ConsoleKeyInfo>();
        var screen = new StringWriter();
        return (new LineEditor(screen, keys.Dequeue, () => width), screen, keys);
    }

    [Fact]
    public void Keys_edit_anywhere_in_the_line_and_up_and_down_walk_the_history()
    {
        var (editor, _, keys) = Editor();
        foreach (var key in Text("helo wrld")) keys.Enqueue(key);
        keys.Enqueue(Key(ConsoleKey.Home));
        for (var i = 0; i < 3; i++) keys.Enqueue(Key(ConsoleKey.RightArrow));
        keys.Enqueue(Text("l").Single());                       // hello wrld
        keys.Enqueue(Key(ConsoleKey.End));
        for (var i = 0; i < 3; i++) keys.Enqueue(Key(ConsoleKey.LeftArrow));
        keys.Enqueue(Text("o").Single());                       // hello world
        keys.Enqueue(Key(ConsoleKey.Enter));
        Assert.Equal("hello world", editor.ReadLine("> "));

        foreach (var key in Text("😀 你好x")) keys.Enqueue(key);
        keys.Enqueue(Key(ConsoleKey.Backspace));
        keys.Enqueue(Key(ConsoleKey.Home));
        keys.Enqueue(Key(ConsoleKey.Delete));                   // the emoji, both halves of its surrogate pair
        keys.Enqueue(Key(ConsoleKey.Enter));
        Assert.Equal(" 你好", editor.ReadLine("> "));

        keys.Enqueue(Key(ConsoleKey.UpArrow));
        keys.Enqueue(Key(ConsoleKey.UpArrow));
        keys.Enqueue(Key(ConsoleKey.UpArrow));                  // nothing older: stays on the first line
        keys.Enqueue(Key(ConsoleKey.DownArrow));
        keys.Enqueue(Key(ConsoleKey.Enter));
        Assert.Equal(" 你好", editor.ReadLine("> "));

        foreach (var key in Text("draft")) keys.Enqueue(key);
        keys.Enqueue(Key(ConsoleKey.UpArrow));
        keys.Enqueue(Key(ConsoleKey.DownArrow));                // back to what was being typed
        keys.Enqueue(Key(ConsoleKey.LeftArrow));
        keys.Enqueue(Key(ConsoleKey.LeftArrow));
        keys.Enqueue(Key(ConsoleKey.K, control: true));         // cut to the end
        keys.Enqueue(Key(ConsoleKey.Enter));
        Assert.Equal("dra", editor.ReadLine("> "));

        foreach (var key in Text("gone")) keys.Enqueue(key);
        keys.Enqueue(Key(ConsoleKey.U, control: true));
        keys.Enqueue(Key(ConsoleKey.D, control: true));         // on an empty line: the input has ended
        Assert.Null(editor.ReadLine("> "));
    }

    [Theory]
    [InlineData("abcdefgh", 10, 0, 8)]
    [InlineData("abcdefghij", 10, 0, 10)]      // exactly full: the cursor waits at the row's end
    [InlineData("abcdefghijk", 10, 1, 1)]
    [InlineData("abcdefghi你", 10, 1, 2)]      // no room for two columns: 你 starts the next row
    [InlineData("你好你好你好", 10, 1, 2)]
    [InlineData("😀x", 10, 0, 3)]
    public void The_layout_wraps_as_a_terminal_does(string text, int width, int row, int column) =>
        Assert.Equal((row, column), LineEditor.Layout(text, width));

    [Fact]
    public void A_line_wider_than_the_terminal_is_redrawn_from_the_prompts_row()
    {
        var (editor, screen, keys) = Editor(width: 10);
        foreach (var key in Text("abcdefghijklmnopqrstu")) keys.Enqueue(key);   // "> " + 21 columns: three rows
        keys.Enqueue(Key(ConsoleKey.Home));
        keys.Enqueue(Key(ConsoleKey.Enter));
        Assert.Equal("abcdefghijklmnopqrstu", editor.ReadLine("> "));
        // Home: up the two rows the cursor had moved down, redraw, then up from the end back to the first row, column 2.
        Assert.Contains("\u001b[2A\r\u001b[J> abcdefghijklmnopqrstu\u001b[2A\r\u001b[2C", screen.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_wide_character_pushed_to_the_next_row_puts_the_cursor_after_it()
    {
        var (editor, screen, keys) = Editor(width: 10);
        foreach (var key in Text("abcdefg你x")) keys.Enqueue(key);      // "> abcdefg" fills 9 columns: 你 goes to row 2
        keys.Enqueue(Key(ConsoleKey.LeftArrow));                          // before x: row 1, column 2
        keys.Enqueue(Key(ConsoleKey.Enter));
        Assert.Equal("abcdefg你x", editor.ReadLine("> "));
        Assert.EndsWith("\u001b[1A\r\u001b[J> abcdefg你x\r\u001b[2C\n", screen.ToString(), StringComparison.Ordinal);
    }
}
