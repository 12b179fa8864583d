using Switchboard.Inference.Gguf;

namespace Switchboard.LocalModels;

/// <summary>What <c>models list</c> shows of a model file, read from its GGUF header; <see cref="Problem"/> when it cannot be read.</summary>
internal sealed record ModelFileInfo(string Name, long Bytes, string? Architecture, string? Quantization, long? ContextLength, string? Problem)
{
    public static ModelFileInfo Read(string name, string path)
    {
        long bytes = 0;
        try
        {
            // What a symbolic link leads to, not the link.
            using (var handle = File.OpenHandle(path)) bytes = RandomAccess.GetLength(handle);
            using var file = GgufFile.Open(path);
            var architecture = file.GetString("general.architecture");
            var context = architecture is null ? null : file.GetInteger($"{architecture}.context_length");
            // The type holding most of the weights' bytes names the quantisation (norms and some outputs stay F32/Q6_K).
            var quantization = file.Tensors.GroupBy(t => t.Type).MaxBy(g => g.Sum(t => t.ByteSize))?.Key.ToString();
            return new ModelFileInfo(name, bytes, architecture, quantization, context, null);
        }
        catch (Exception e) when (e is GgufException or IOException or UnauthorizedAccessException)
        {
            return new ModelFileInfo(name, bytes, null, null, null, e.Message);
        }
    }
}
