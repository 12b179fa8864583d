namespace Switchboard.LocalModels;

/// <summary>A chat model <c>switchboard models pull</c> knows by a short name: where its GGUF file is on Hugging Face.</summary>
internal sealed record KnownModel(string Name, string Repository, string File, string? Sha256 = null)
{
    /// <summary>The file's download address on Hugging Face, or on the mirror <c>HF_ENDPOINT</c> names (for users in China, e.g. hf-mirror.com).</summary>
    public Uri Url(string? endpoint) =>
        new($"{(string.IsNullOrWhiteSpace(endpoint) ? "https://huggingface.co" : endpoint.TrimEnd('/'))}/{Repository}/resolve/main/{File}");
}

/// <summary>
/// The short names. Q8_0 files: the engine's fastest format that keeps quality. No checksums are pinned here
/// (they could not be checked when this list was written); Hugging Face sends each file's SHA-256 as
/// <c>X-Linked-ETag</c>, and the download is verified against that.
/// </summary>
internal static class KnownModels
{
    public static IReadOnlyList<KnownModel> All { get; } =
    [
        new("smollm2-135m-instruct", "bartowski/SmolLM2-135M-Instruct-GGUF", "SmolLM2-135M-Instruct-Q8_0.gguf"),
        new("smollm2-360m-instruct", "bartowski/SmolLM2-360M-Instruct-GGUF", "SmolLM2-360M-Instruct-Q8_0.gguf"),
        new("qwen2.5-0.5b-instruct", "Qwen/Qwen2.5-0.5B-Instruct-GGUF", "qwen2.5-0.5b-instruct-q8_0.gguf"),
        new("qwen2.5-1.5b-instruct", "Qwen/Qwen2.5-1.5B-Instruct-GGUF", "qwen2.5-1.5b-instruct-q8_0.gguf"),
        new("llama-3.2-1b-instruct", "bartowski/Llama-3.2-1B-Instruct-GGUF", "Llama-3.2-1B-Instruct-Q8_0.gguf"),
        new("tinyllama-1.1b-chat", "TheBloke/TinyLlama-1.1B-Chat-v1.0-GGUF", "tinyllama-1.1b-chat-v1.0.Q8_0.gguf"),
    ];

    public static KnownModel? Find(string name) => All.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));
}
