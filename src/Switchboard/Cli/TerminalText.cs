using System.Text.RegularExpressions;

namespace Switchboard.Cli;

/// <summary>
/// A model's text made safe for a terminal: escape sequences (CSI, OSC, and the rest) removed whole, so no "[2J" is
/// left behind, then every other control character but newline and tab. An answer then cannot move the cursor,
/// clear the screen, retitle the window or write the clipboard. A sequence split across two streamed pieces loses
/// only its ESC, which is what makes it a sequence.
/// </summary>
internal static partial class TerminalText
{
    public static string Clean(string text)
    {
        if (!text.Any(c => char.IsControl(c) && c is not ('\n' or '\t'))) return text;
        var stripped = EscapeSequence().Replace(text, "");
        return string.Concat(stripped.Where(c => !char.IsControl(c) || c is '\n' or '\t'));
    }

    [GeneratedRegex(@"(\u001b\[|\u009b)[0-?]*[ -/]*[@-~]|(\u001b\]|\u009d)[^\u0007\u001b\u009c]*(\u0007|\u001b\\|\u009c)?|\u001b[@-Z\\-_]")]
    private static partial Regex EscapeSequence();
}
