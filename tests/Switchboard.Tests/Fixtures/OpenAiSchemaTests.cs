using System.Text.Json;

namespace Switchboard.Tests.Fixtures;

/// <summary>The schema check the contract and fuzz tests rely on rejects what OpenAI's spec rejects.</summary>
public sealed class OpenAiSchemaTests
{
    [Fact]
    public void Spec_schemas_accept_openai_payloads_and_reject_broken_errors()
    {
        if (OpenAiSchema.SpecPath is null) return;    // the shape checks in OpenAiErrors still run without the spec
        Assert.Null(OpenAiSchema.Validate("ErrorResponse", JsonDocument.Parse("""{"error":{"message":"m","type":"t","param":null,"code":null}}""").RootElement));
        Assert.NotNull(OpenAiSchema.Validate("ErrorResponse", JsonDocument.Parse("""{"error":{"message":"m","type":"t","param":null}}""").RootElement));
        Assert.NotNull(OpenAiSchema.Validate("ErrorResponse", JsonDocument.Parse("""{"error":{"message":1,"type":"t","param":null,"code":null}}""").RootElement));
        Assert.Null(OpenAiSchema.Validate("CreateChatCompletionStreamResponse", JsonDocument.Parse(OpenAiShapes.ContentChunk("x")).RootElement));
        Assert.Null(OpenAiSchema.Validate("CreateChatCompletionStreamResponse", JsonDocument.Parse(OpenAiShapes.UsageChunk(1, 2)).RootElement));
        Assert.Null(OpenAiSchema.Validate("CreateChatCompletionResponse", JsonDocument.Parse(OpenAiShapes.Completion("x")).RootElement));
    }
}
