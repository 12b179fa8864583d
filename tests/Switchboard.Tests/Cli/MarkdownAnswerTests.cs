using Switchboard.Cli.Chat;

namespace Switchboard.Tests.Cli;

/// <summary>A streamed answer on a terminal: shown as it comes, finished lines restyled, the model's control characters dropped.</summary>
public sealed class MarkdownAnswerTests
{
    private static string Render(int width, params string[] pieces)
    {
        var screen = new StringWriter();
        var answer = new MarkdownAnswer(screen, () => width);
        foreach (var piece in pieces) answer.Write(piece);
        answer.Finish();
        return screen.ToString();
    }

    [Fact]
    public void Finished_lines_are_redrawn_styled_and_code_blocks_are_coloured_as_they_stream()
    {
        var screen = Render(80, "# Ti", "tle\nSome **bo", "ld** and `x`.\n```\nvar a", " = 1;\n```\n- item");
        Assert.Contains("# Title\r\u001b[K\u001b[1mTitle\u001b[0m\n", screen, StringComparison.Ordinal);
        Assert.Contains("\r\u001b[K" + "Some \u001b[1mbold\u001b[0m and \u001b[36mx\u001b[0m.\n", screen, StringComparison.Ordinal);
        // Inside the fence each line is coloured from its first piece, before the line is complete.
        Assert.Contains("\u001b[36mvar a = 1;\u001b[0m\n", screen, StringComparison.Ordinal);
        Assert.EndsWith("- item\r\u001b[K• item", screen, StringComparison.Ordinal);
    }

    [Fact]
    public void A_line_wider_than_the_terminal_stays_as_it_came_and_control_characters_never_reach_the_terminal()
    {
        var wide = "**" + new string('a', 30) + "**";
        Assert.Equal(wide + "\n", Render(20, wide + "\n"));
        Assert.Equal("plain title, bell", Render(80, "plain\u001b]0;owned\u0007 title\u001b[2J\u009b1m, \u001b[31mbell\u0007"));
    }
}
