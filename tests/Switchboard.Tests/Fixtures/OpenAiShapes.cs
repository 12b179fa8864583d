namespace Switchboard.Tests.Fixtures;

/// <summary>OpenAI wire payloads the scripted upstream sends.</summary>
public static class OpenAiShapes
{
    public const string ChunkHead = "\"id\":\"chatcmpl-fx\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"up-model\"";

    public static string Completion(string content, int prompt = 7, int completion = 3) =>
        $$$"""{"id":"chatcmpl-fx","object":"chat.completion","created":1700000000,"model":"up-model","choices":[{"index":0,"message":{"role":"assistant","content":"{{{content}}}","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":{{{prompt}}},"completion_tokens":{{{completion}}},"total_tokens":{{{prompt + completion}}}}}""";

    public static string RoleChunk() => $$"""{{{ChunkHead}},"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""";

    public static string ContentChunk(string text) => $$"""{{{ChunkHead}},"choices":[{"index":0,"delta":{"content":"{{text}}"},"finish_reason":null}]}""";

    public static string FinishChunk(string reason = "stop") => $$"""{{{ChunkHead}},"choices":[{"index":0,"delta":{},"finish_reason":"{{reason}}"}]}""";

    public static string UsageJson(int prompt, int completion) =>
        $$"""{"prompt_tokens":{{prompt}},"completion_tokens":{{completion}},"total_tokens":{{prompt + completion}}}""";

    /// <summary>OpenAI's own final usage chunk: <c>choices: []</c>.</summary>
    public static string UsageChunk(int prompt, int completion) => $$"""{{{ChunkHead}},"choices":[],"usage":{{UsageJson(prompt, completion)}}}""";

    /// <summary>Usage riding on a chunk that still has choices (some providers do this).</summary>
    public static string FinishChunkWithUsage(int prompt, int completion) =>
        $$"""{{{ChunkHead}},"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{{UsageJson(prompt, completion)}}}""";

    /// <summary>Usage on a chunk with <c>choices: null</c>.</summary>
    public static string NullChoicesUsageChunk(int prompt, int completion) => $$"""{{{ChunkHead}},"choices":null,"usage":{{UsageJson(prompt, completion)}}}""";

    public static string ContentChunkWithUsage(string text, int prompt, int completion) =>
        $$"""{{{ChunkHead}},"choices":[{"index":0,"delta":{"content":"{{text}}"},"finish_reason":null}],"usage":{{UsageJson(prompt, completion)}}}""";

    public static string ContentChunkNullUsage(string text) =>
        $$"""{{{ChunkHead}},"choices":[{"index":0,"delta":{"content":"{{text}}"},"finish_reason":null}],"usage":null}""";

    public static string Error(string message, string type, string? code) =>
        $$$"""{"error":{"message":"{{{message}}}","type":"{{{type}}}","param":null,"code":{{{(code is null ? "null" : $"\"{code}\"")}}}}}""";

    /// <summary>Streams a plain answer: role, one chunk per piece, finish, OpenAI's usage chunk, [DONE].</summary>
    public static async Task StreamAnswer(UpstreamExchange x, params string[] pieces)
    {
        await x.StartSse();
        await x.Event(RoleChunk());
        foreach (var piece in pieces) await x.Event(ContentChunk(piece));
        await x.Event(FinishChunk());
        await x.Event(UsageChunk(5, pieces.Length));
        await x.Done();
    }
}
