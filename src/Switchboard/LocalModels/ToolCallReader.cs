using System.Text;
using Switchboard.Inference.Chat;

namespace Switchboard.LocalModels;

/// <summary>A tool call in OpenAI's shape: <c>{id, type: "function", function: {name, arguments}}</c>.</summary>
internal sealed record LocalToolCall(string Id, string Name, string Arguments)
{
    public static LocalToolCall From(ParsedToolCall call) => new("call_" + Guid.NewGuid().ToString("N")[..24], call.Name, call.Arguments);
}

/// <summary>
/// Reads one choice's text as the model writes it and separates its tool calls: text before a call goes out as it
/// comes (only the few characters that might begin a call's opening are held back); from a call's opening on,
/// everything is held until the end and then parsed. A forced call (its opening was in the prompt) is all call.
/// </summary>
internal sealed class ToolCallReader(ToolCallSyntax syntax, bool forced, IReadOnlyCollection<string> functions)
{
    private readonly StringBuilder _held = new();
    private readonly bool _forced = forced;
    private bool _inCall = forced;
    private bool _textOnly;

    /// <summary>Takes the next piece of text; returns what can be sent as content now.</summary>
    public string Push(string text)
    {
        _held.Append(text);
        if (_inCall) return "";
        var held = _held.ToString();
        if (!_textOnly)
        {
            var start = syntax.CallStart(held);
            if (start >= 0)
            {
                _inCall = true;
                _held.Remove(0, start);
                return held[..start];
            }
        }
        var keep = _textOnly ? 0 : syntax.PendingCallStart(held);
        // A syntax whose call is the whole answer decides at the first text that cannot open one.
        if (!syntax.Blocks && keep == 0) _textOnly = true;
        _held.Clear().Append(held, held.Length - keep, keep);
        return held[..^keep];
    }

    /// <summary>At the end of the choice: the content still held (calls that did not parse stay text) and the calls.</summary>
    public (string Content, List<LocalToolCall> Calls) Finish()
    {
        var held = _held.ToString();
        _held.Clear();
        if (_forced) return syntax.ParseCall(held, functions) is { } call ? ("", [LocalToolCall.From(call)]) : (held, []);
        if (!_inCall) return (held, []);
        var (content, calls) = syntax.Parse(held, functions);
        return (content, [.. calls.Select(LocalToolCall.From)]);
    }
}

/// <summary>
/// A request's use of tools on a local model: the model's call syntax, whether a call is forced (its opening is in
/// the prompt), whether one function is named, and the functions offered (a call to any other stays text).
/// </summary>
internal sealed record ToolUse(ToolCallSyntax Syntax, bool Forced, bool Named, IReadOnlyCollection<string> Functions);
