namespace Switchboard.Inference.Templates;

/// <summary>One turn of a conversation as a chat template sees it: <c>message.role</c> and <c>message.content</c>.</summary>
/// <param name="Role">"system", "user", "assistant", "tool", ...</param>
/// <param name="Content">The text; null is exposed to the template as <c>none</c>.</param>
public sealed record ChatMessage(string Role, string? Content);
