using System.Text;

namespace Switchboard.Api;

/// <summary>A body field an operation cannot do without.</summary>
public sealed record RequiredField(string Name, bool MustBeArray = false)
{
    public byte[] Utf8Name { get; } = Encoding.UTF8.GetBytes(Name);
}

/// <summary>One OpenAI API operation the gateway forwards: its path and what a valid request must carry.</summary>
public sealed record ApiEndpoint(string Path, IReadOnlyList<RequiredField> RequiredFields, string? DefaultModel = null, bool HasUsageStream = false)
{
    public static readonly ApiEndpoint ChatCompletions = new("chat/completions", [new("messages", MustBeArray: true)], HasUsageStream: true);
    public static readonly ApiEndpoint Completions = new("completions", [new("prompt")], HasUsageStream: true);
    public static readonly ApiEndpoint Embeddings = new("embeddings", [new("input")]);
    public static readonly ApiEndpoint ImageGenerations = new("images/generations", [new("prompt")], DefaultModel: "dall-e-2");
    public static readonly ApiEndpoint Moderations = new("moderations", [new("input")], DefaultModel: "omni-moderation-latest");
}
