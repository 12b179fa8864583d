using System.Text.Json;

namespace Switchboard.Tests.Fixtures;

/// <summary>Checks that a body is an error in OpenAI's exact shape: all four keys, the right types, and valid against the spec's <c>ErrorResponse</c>.</summary>
public static class OpenAiErrors
{
    public static JsonElement AssertShape(string body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement.Clone();
        Assert.Equal(JsonValueKind.Object, root.ValueKind);
        var error = root.GetProperty("error");
        Assert.Equal(JsonValueKind.String, error.GetProperty("message").ValueKind);
        Assert.Equal(JsonValueKind.String, error.GetProperty("type").ValueKind);
        Assert.True(error.GetProperty("param").ValueKind is JsonValueKind.String or JsonValueKind.Null);
        Assert.True(error.GetProperty("code").ValueKind is JsonValueKind.String or JsonValueKind.Null);
        if (OpenAiSchema.SpecPath is not null && OpenAiSchema.Validate("ErrorResponse", root) is { } problems)
            Assert.Fail($"not an ErrorResponse: {problems}\n{body}");
        return error;
    }
}
