namespace Switchboard.Inference.Tokenizers;

/// <summary>Text holds something the vocabulary has neither a token nor a byte token for: the text cannot be a prompt for this model.</summary>
public sealed class UnrepresentableTextException(string message) : Exception(message);
