namespace Switchboard.Inference.Templates;

/// <summary>One turn of a conversation as a chat template sees it: <c>message.role</c> and <c>message.content</c>.</summary>
/// <param name="Role">"system", "user", "assistant", "tool", ...</param>
/// <param name="Content">The text; null is exposed to the template as <c>none</c>.</param>
public sealed record ChatMessage(string Role, string? Content)
{
    /// <summary>The assistant's tool calls, exposed as <c>message.tool_calls</c> only when there are some.</summary>
    public IReadOnlyList<ChatToolCall>? ToolCalls { get; init; }

    /// <summary>A tool result's call id, exposed as <c>message.tool_call_id</c>.</summary>
    public string? ToolCallId { get; init; }
}

/// <summary>
/// A function call in a conversation, exposed as Hugging Face templates expect it:
/// <c>{id, type: "function", function: {name, arguments}}</c> with the arguments as a mapping when they are a JSON object.
/// </summary>
public sealed record ChatToolCall(string Id, string Name, string Arguments);
