namespace Switchboard.Inference.Gguf;

/// <summary>A GGUF file that is not valid: the message says what is wrong and where (byte offset, key or tensor).</summary>
public sealed class GgufException(string message) : Exception(message);
