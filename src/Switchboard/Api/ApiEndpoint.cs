namespace Switchboard.Api;

/// <summary>One OpenAI API operation the gateway forwards: its path and what a valid request must carry.</summary>
public sealed record ApiEndpoint(string Path, IReadOnlyList<string> RequiredFields, string? DefaultModel = null, bool HasUsageStream = false)
{
    public static readonly ApiEndpoint ChatCompletions = new("chat/completions", ["messages"], HasUsageStream: true);
    public static readonly ApiEndpoint Completions = new("completions", ["prompt"], HasUsageStream: true);
    public static readonly ApiEndpoint Embeddings = new("embeddings", ["input"]);
    public static readonly ApiEndpoint ImageGenerations = new("images/generations", ["prompt"], DefaultModel: "dall-e-2");
    public static readonly ApiEndpoint Moderations = new("moderations", ["input"], DefaultModel: "omni-moderation-latest");
}
