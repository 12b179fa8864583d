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
}
