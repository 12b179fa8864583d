using System.Text.Json;

namespace Switchboard.Inference.Chat;

/// <summary>A function call read from a model's answer: the function's name and its arguments as JSON text.</summary>
public sealed record ParsedToolCall(string Name, string Arguments);

/// <summary>
/// How a model family writes a tool call, read off its chat template: Hermes-style
/// <c>&lt;tool_call&gt;{"name": …, "arguments": …}&lt;/tool_call&gt;</c> blocks (Qwen 2.5 and 3, Hermes 2 Pro and 3, …) or
/// Llama 3.1+'s bare <c>{"name": …, "parameters": …}</c> object. A forced call (<c>tool_choice</c> required or named)
/// opens with <see cref="Opening"/> in the prompt, so the model writes only the JSON object.
/// </summary>
public sealed class ToolCallSyntax
{
    private const string BlockStart = "<tool_call>";
    private const string BlockEnd = "</tool_call>";
    private const string PythonTag = "<|python_tag|>";

    private ToolCallSyntax(string name, string opening, string argumentsKey, bool blocks)
    {
        Name = name;
        Opening = opening;
        ArgumentsKey = argumentsKey;
        Blocks = blocks;
    }

    /// <summary>Hermes-style blocks.</summary>
    public static ToolCallSyntax Hermes { get; } = new("hermes", BlockStart + "\n", "arguments", blocks: true);

    /// <summary>Llama 3.1+'s JSON object.</summary>
    public static ToolCallSyntax Llama3 { get; } = new("llama3", "", "parameters", blocks: false);

    public string Name { get; }

    /// <summary>Text after the generation prompt that starts a call.</summary>
    public string Opening { get; }

    /// <summary>The member holding the arguments in the model's JSON.</summary>
    public string ArgumentsKey { get; }

    /// <summary>Calls are <c>&lt;tool_call&gt;</c> blocks among text (else the whole answer is one call).</summary>
    public bool Blocks { get; }

    /// <summary>The syntax a template's tool support writes, or null for a template without tools or with a syntax not known here.</summary>
    public static ToolCallSyntax? FromTemplate(string source)
    {
        if (!source.Contains("tools", StringComparison.Ordinal)) return null;
        if (source.Contains(BlockStart, StringComparison.Ordinal)) return Hermes;
        if (source.Contains("\"parameters\"", StringComparison.Ordinal) && source.Contains("ipython", StringComparison.Ordinal)) return Llama3;
        return null;
    }

    /// <summary>Where the model's answer may begin a call: the index of the opening, or -1 (for block syntax: of <c>&lt;tool_call&gt;</c>).</summary>
    public int CallStart(string text)
    {
        if (Blocks) return text.IndexOf(BlockStart, StringComparison.Ordinal);
        var start = 0;
        while (start < text.Length && char.IsWhiteSpace(text[start])) start++;
        if (string.CompareOrdinal(text, start, PythonTag, 0, PythonTag.Length) == 0) return start;
        return start < text.Length && text[start] == '{' ? start : -1;
    }

    /// <summary>How many trailing characters of <paramref name="text"/> could be the beginning of a call still being written.</summary>
    public int PendingCallStart(string text)
    {
        if (!Blocks)
        {
            // The whole answer is a call or not: undecided while it is only white space.
            return text.All(char.IsWhiteSpace) ? text.Length : PythonTag.StartsWith(text.TrimStart(), StringComparison.Ordinal) ? text.Length : 0;
        }
        for (var length = Math.Min(BlockStart.Length - 1, text.Length); length > 0; length--)
        {
            if (string.CompareOrdinal(text, text.Length - length, BlockStart, 0, length) == 0) return length;
        }
        return 0;
    }

    /// <summary>
    /// Splits an answer into its text and its calls. A call that does not parse, lacks its arguments, or names no
    /// function in <paramref name="functions"/> is left in the text as written: nothing the model said is dropped.
    /// </summary>
    public (string Content, List<ParsedToolCall> Calls) Parse(string text, IReadOnlyCollection<string> functions)
    {
        var calls = new List<ParsedToolCall>();
        if (!Blocks)
        {
            var start = CallStart(text);
            if (start < 0) return (text, calls);
            var body = text[start..];
            if (body.StartsWith(PythonTag, StringComparison.Ordinal)) body = body[PythonTag.Length..];
            // Several calls may be separated by ';' (Llama 3.2's format); each must be a call.
            foreach (var part in TopLevelParts(body))
            {
                if (ParseCall(part, functions) is not { } call) return (text, []);
                calls.Add(call);
            }
            return (text[..start], calls);
        }
        var content = new System.Text.StringBuilder();
        var at = 0;
        while (at < text.Length)
        {
            var open = text.IndexOf(BlockStart, at, StringComparison.Ordinal);
            if (open < 0) break;
            var close = text.IndexOf(BlockEnd, open, StringComparison.Ordinal);
            var inner = close < 0 ? text[(open + BlockStart.Length)..] : text[(open + BlockStart.Length)..close];
            var end = close < 0 ? text.Length : close + BlockEnd.Length;
            content.Append(text, at, open - at);
            if (ParseCall(inner.Trim(), functions) is { } call) calls.Add(call);
            else content.Append(text, open, end - open);
            at = end;
        }
        if (at < text.Length) content.Append(text, at, text.Length - at);
        return (content.ToString(), calls);
    }

    /// <summary>
    /// A call's JSON object (for a forced call, what follows the opening in the prompt), or null when it does not
    /// parse, has no arguments member, or names a function not in <paramref name="functions"/> (when given).
    /// </summary>
    public ParsedToolCall? ParseCall(string json, IReadOnlyCollection<string>? functions = null)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("name", out var name) || name.ValueKind != JsonValueKind.String) return null;
            if (functions is not null && !functions.Contains(name.GetString()!)) return null;
            if (!root.TryGetProperty(ArgumentsKey, out var arguments) && !root.TryGetProperty("arguments", out arguments)) return null;
            // OpenAI's arguments are a JSON string; a model may also write them as one.
            return new ParsedToolCall(name.GetString()!, arguments.ValueKind == JsonValueKind.String ? arguments.GetString()! : arguments.GetRawText());
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The text split at ';' outside JSON strings and brackets.</summary>
    private static IEnumerable<string> TopLevelParts(string text)
    {
        var (depth, inString, escaped, start) = (0, false, false, 0);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (escaped) escaped = false;
                else if (c == '\\') escaped = true;
                else if (c == '"') inString = false;
                continue;
            }
            switch (c)
            {
                case '"': inString = true; break;
                case '{' or '[': depth++; break;
                case '}' or ']': depth--; break;
                case ';' when depth == 0:
                    if (text[start..i].Trim() is { Length: > 0 } part) yield return part;
                    start = i + 1;
                    break;
            }
        }
        if (text[start..].Trim() is { Length: > 0 } last) yield return last;
    }
}
