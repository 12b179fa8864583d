namespace Switchboard.Inference.Templates;

/// <summary>A render-time error; the renderer adds the source position when it becomes a <see cref="ChatTemplateException"/>.</summary>
internal sealed class TemplateRuntimeException(string message) : Exception(message);
