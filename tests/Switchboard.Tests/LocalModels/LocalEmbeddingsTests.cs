using System.Net;
using System.Text;
using System.Text.Json;
using Switchboard.Inference.Tests;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.LocalModels;

/// <summary><c>/v1/embeddings</c> on a local model, through a real gateway, against llama.cpp's own embeddings of the same texts.</summary>
public sealed class LocalEmbeddingsTests
{
    private static Task<GatewayHost> StartAsync() =>
        GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:Local:ModelsDirectory"] = TestModels.Directory });

    [ModelFact]
    public async Task Mean_pooled_normalised_embeddings_match_llama_cpps_and_count_the_prompt_tokens()
    {
        await using var gateway = await StartAsync();
        var reference = TestModels.Reference("stories260K-embeddings.json").GetProperty("results");
        var texts = reference.EnumerateArray().Select(r => r.GetProperty("text").GetString()!).ToList();

        var result = await gateway.Sdk().GetEmbeddingClient("local/stories260K").GenerateEmbeddingsAsync(texts);

        for (var i = 0; i < texts.Count; i++)
        {
            var expected = reference[i].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
            var actual = result.Value[i].ToFloats().ToArray();
            Assert.Equal(expected.Length, actual.Length);
            var worst = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(worst < 1e-4, $"text {i}: off by {worst} from llama.cpp");
        }
        Assert.Equal(reference.EnumerateArray().Sum(r => r.GetProperty("tokens").GetArrayLength()), result.Value.Usage.InputTokenCount);
    }

    [ModelFact]
    public async Task Base64_and_token_arrays_give_the_same_vector_and_bad_requests_name_their_field()
    {
        await using var gateway = await StartAsync();
        var reference = TestModels.Reference("stories260K-embeddings.json").GetProperty("results")[0];
        var text = reference.GetProperty("text").GetString();
        var tokens = reference.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();

        async Task<(HttpStatusCode Status, JsonElement Body)> PostAsync(object body)
        {
            using var response = await gateway.Http.PostAsync("/v1/embeddings", new StringContent(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json"));
            return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
        }

        var (_, floats) = await PostAsync(new { model = "local/stories260K", input = text });
        var (_, base64) = await PostAsync(new { model = "local/stories260K", input = text, encoding_format = "base64" });
        var (_, fromTokens) = await PostAsync(new { model = "local/stories260K", input = tokens });
        var expected = floats.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray();
        var decoded = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(Convert.FromBase64String(base64.GetProperty("data")[0].GetProperty("embedding").GetString()!)).ToArray();
        Assert.Equal(expected, decoded);
        Assert.Equal(expected, fromTokens.GetProperty("data")[0].GetProperty("embedding").EnumerateArray().Select(v => v.GetSingle()).ToArray());
        Assert.Equal(tokens.Length, fromTokens.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        foreach (var (body, param) in new (object Body, string Param)[]
        {
            (new { model = "local/stories260K", input = text, dimensions = 32 }, "dimensions"),
            (new { model = "local/stories260K", input = text, encoding_format = "int8" }, "encoding_format"),
            (new { model = "local/stories260K", input = Array.Empty<string>() }, "input"),
            (new { model = "local/stories260K", input = new[] { 1, 999_999 } }, "input"),
        })
        {
            var (status, error) = await PostAsync(body);
            Assert.Equal((HttpStatusCode.BadRequest, param), (status, error.GetProperty("error").GetProperty("param").GetString()));
        }
    }
}
