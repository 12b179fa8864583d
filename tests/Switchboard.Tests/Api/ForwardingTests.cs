using System.Net;
using OpenAI.Chat;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Api;

[Collection(GatewayCollection.Name)]
public sealed class ForwardingTests(GatewaySuite suite) : GatewaySuiteTests(suite)
{
    [Fact]
    public async Task Sdk_non_streaming_chat_round_trips_and_the_provider_key_replaces_the_clients()
    {
        Upstream.On("plain-chat", x => x.Json(200, Completion("Hello there", 9, 2)));

        var result = await Gateway.Sdk("sk-client-key").GetChatClient("plain-chat").CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal("Hello there", result.Value.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, result.Value.FinishReason);
        Assert.Equal(9, result.Value.Usage.InputTokenCount);
        var call = Upstream.CallsFor("plain-chat").Single();
        Assert.Equal("/v1/chat/completions", call.Path);
        Assert.Equal("Bearer sk-upstream-primary", call.Headers.Authorization.ToString());
        Assert.DoesNotContain("sk-client-key", string.Join(" ", call.Headers.Select(h => h.Value.ToString())), StringComparison.Ordinal);
        Assert.True(result.GetRawResponse().Headers.TryGetValue("x-request-id", out var id) && id!.StartsWith("req_", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_fields_pass_through_untouched_and_model_is_rewritten_for_an_alias()
    {
        Upstream.On("real-upstream-name", x => x.Json(200, Completion("ok")));
        const string request = """{"model":"friendly-alias","messages":[{"role":"user","content":"héllo 你好"}],"temperature":0.2,"x_vendor_knob":{"depth":[1,2,{"k":null}]},"seed":7}""";

        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var sent = Upstream.CallsFor("real-upstream-name").Single();
        Assert.Equal(request.Replace("friendly-alias", "real-upstream-name", StringComparison.Ordinal), sent.Body);
    }

    [Fact]
    public async Task Sdk_embeddings_round_trip()
    {
        Upstream.On("embed-model", x => x.Json(200,
            """{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.25,-0.5,1.0]}],"model":"embed-model","usage":{"prompt_tokens":4,"total_tokens":4}}"""));

        var result = await Gateway.Sdk().GetEmbeddingClient("embed-model").GenerateEmbeddingAsync("vector me");

        Assert.Equal([0.25f, -0.5f, 1.0f], result.Value.ToFloats().ToArray());
        Assert.Equal("/v1/embeddings", Upstream.CallsFor("embed-model").Single().Path);
    }

    [Theory]
    [InlineData("/v1/completions", """{"model":"legacy-model","prompt":"Say hi","max_tokens":5}""", "legacy-model")]
    [InlineData("/v1/images/generations", """{"model":"image-model","prompt":"a red fox","size":"256x256"}""", "image-model")]
    [InlineData("/v1/moderations", """{"input":"is this fine?"}""", "omni-moderation-latest")]
    public async Task Other_endpoints_forward_to_the_same_path_upstream(string path, string body, string upstreamModel)
    {
        var answer = $$"""{"id":"x","object":"whatever","model":"{{upstreamModel}}","results":[]}""";
        Upstream.On(upstreamModel, x => x.Json(200, answer));

        using var response = await Sse.PostAsync(Gateway.Http, path, body);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(answer, await response.Content.ReadAsStringAsync());
        Assert.Equal(path, Upstream.CallsFor(upstreamModel).Single().Path);
    }

    [Fact]
    public async Task Azure_provider_gets_deployment_path_api_version_and_api_key_header()
    {
        Upstream.On("my-deployment", x => x.Json(200, Completion("from azure")));

        var result = await Gateway.Sdk().GetChatClient("gpt-azure").CompleteChatAsync([new UserChatMessage("hi")]);

        Assert.Equal("from azure", result.Value.Content[0].Text);
        var call = Upstream.CallsFor("my-deployment").Single();
        Assert.Equal("/openai/deployments/my-deployment/chat/completions", call.Path);
        Assert.Equal("?api-version=2024-10-21", call.Query);
        Assert.Equal("azure-secret", call.Headers["api-key"].ToString());
        Assert.False(call.Headers.ContainsKey("Authorization"));
    }

    [Fact]
    public async Task Models_lists_the_union_of_configured_models_aliases_and_upstream_lists()
    {
        var models = (await Gateway.Sdk().GetOpenAIModelClient().GetModelsAsync()).Value.Select(m => m.Id).ToList();

        Assert.Contains("friendly", models);
        Assert.Contains("friendly-alias", models);
        Assert.Contains("gpt-azure", models);
        Assert.Contains("listed-by-upstream", models);

        var one = await Gateway.Sdk().GetOpenAIModelClient().GetModelAsync("friendly");
        Assert.Equal("primary", one.Value.OwnedBy);
        using var missing = await Gateway.Http.GetAsync("/v1/models/not-a-model");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Models_of_an_azure_provider_serving_any_name_are_listed_from_its_models_endpoint()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.ListedModels.Add("azure-listed");
        await using var gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Providers:az:Type"] = "azure",
            ["Switchboard:Providers:az:BaseUrl"] = upstream.BaseUrl,
            ["Switchboard:Providers:az:ApiVersion"] = "2024-10-21",
            ["Switchboard:Providers:az:Models:0"] = "*",
        });

        using var response = await gateway.Http.GetAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("azure-listed", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
