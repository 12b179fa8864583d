using System.ClientModel;
using System.Net;
using OpenAI.Chat;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Api;

[Collection(GatewayCollection.Name)]
public sealed class ErrorTests(GatewaySuite suite) : GatewaySuiteTests(suite)
{
    private static async Task<System.Text.Json.JsonElement> AssertOpenAiError(HttpResponseMessage response, HttpStatusCode status, string type, string? code, string? param = null)
    {
        Assert.Equal(status, response.StatusCode);
        Assert.StartsWith("req_", Assert.Single(response.Headers.GetValues("x-request-id")), StringComparison.Ordinal);
        var error = Sse.Json(await response.Content.ReadAsStringAsync()).GetProperty("error");
        Assert.Equal(type, error.GetProperty("type").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        return error;
    }

    [Fact]
    public async Task Malformed_json_is_a_400_in_openai_shape()
    {
        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", "{\"model\": \"x\", ");
        await AssertOpenAiError(response, HttpStatusCode.BadRequest, "invalid_request_error", null);
        Assert.Equal("false", response.Headers.GetValues("x-should-retry").Single());
    }

    [Fact]
    public async Task Missing_model_is_a_400_naming_the_parameter()
    {
        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", "{\"messages\":[]}");
        await AssertOpenAiError(response, HttpStatusCode.BadRequest, "invalid_request_error", "missing_required_parameter", "model");
    }

    [Fact]
    public async Task Missing_messages_is_a_400_naming_the_parameter()
    {
        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", "{\"model\":\"gpt-x\"}");
        await AssertOpenAiError(response, HttpStatusCode.BadRequest, "invalid_request_error", "missing_required_parameter", "messages");
    }

    [Fact]
    public async Task Unknown_model_is_a_404_model_not_found_for_the_sdk()
    {
        // A gateway whose providers serve no model by pattern, so routing itself must say "not found".
        var gatewayWithoutWildcard = await GatewayHost.StartAsync(new Dictionary<string, string?>());
        await using (gatewayWithoutWildcard)
        {
            var exception = await Assert.ThrowsAsync<ClientResultException>(() =>
                gatewayWithoutWildcard.Sdk().GetChatClient("gpt-nope").CompleteChatAsync([new UserChatMessage("hi")]));
            Assert.Equal(404, exception.Status);
            Assert.Contains("model_not_found", exception.GetRawResponse()!.Content.ToString(), StringComparison.Ordinal);
            using var raw = await Sse.PostAsync(gatewayWithoutWildcard.Http, "/v1/chat/completions", "{\"model\":\"gpt-nope\",\"messages\":[]}");
            await AssertOpenAiError(raw, HttpStatusCode.NotFound, "invalid_request_error", "model_not_found", "model");
            Assert.Equal("false", raw.Headers.GetValues("x-should-retry").Single());
        }
    }

    [Fact]
    public async Task Unreachable_upstream_is_a_502_upstream_unreachable()
    {
        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", "{\"model\":\"unreachable-model\",\"messages\":[]}");
        await AssertOpenAiError(response, HttpStatusCode.BadGateway, "api_error", "upstream_unreachable");
    }

    [Fact]
    public async Task Upstream_that_never_answers_is_a_504()
    {
        Upstream.On("stall-headers", x => x.Stall());
        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", "{\"model\":\"stall-headers\",\"messages\":[]}");
        await AssertOpenAiError(response, HttpStatusCode.GatewayTimeout, "api_error", "upstream_timeout");
    }

    [Fact]
    public async Task Upstream_client_errors_pass_through_with_status_and_body_and_are_not_retried()
    {
        var body = Error("Invalid value for 'temperature'.", "invalid_request_error", "invalid_value");
        Upstream.On("upstream-400", x => x.Json(400, body));
        using var response = await Sse.PostAsync(Gateway.Http, "/v1/chat/completions", "{\"model\":\"upstream-400\",\"messages\":[],\"temperature\":9}");

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(body, await response.Content.ReadAsStringAsync());
        Assert.True(response.Headers.Contains("x-request-id"));
        Assert.Single(Upstream.CallsFor("upstream-400"));
    }

    [Fact]
    public async Task Unknown_v1_route_is_a_404_in_openai_shape()
    {
        using var response = await Gateway.Http.GetAsync("/v1/assistants");
        await AssertOpenAiError(response, HttpStatusCode.NotFound, "invalid_request_error", null);
    }

    [Fact]
    public async Task Oversized_body_is_a_413_in_openai_shape()
    {
        await using var small = await GatewayHost.StartAsync(new Dictionary<string, string?> { ["Switchboard:Limits:MaxRequestBodyBytes"] = "2048" });
        var big = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('x', 4096) + "\"}]}";
        using var response = await Sse.PostAsync(small.Http, "/v1/chat/completions", big);
        await AssertOpenAiError(response, HttpStatusCode.RequestEntityTooLarge, "invalid_request_error", "request_too_large");
    }

    [Fact]
    public async Task Master_key_guards_v1_with_invalid_api_key()
    {
        Upstream.On("guarded", x => x.Json(200, Completion("in")));
        await using var guarded = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Switchboard:MasterKey"] = "sb-master-0123456789",
            ["Switchboard:Providers:up:BaseUrl"] = Upstream.BaseUrl + "/v1",
            ["Switchboard:Providers:up:Models:0"] = "*",
        });

        var denied = await Assert.ThrowsAsync<ClientResultException>(() =>
            guarded.Sdk("sb-wrong-key").GetChatClient("guarded").CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, denied.Status);
        var error = Sse.Json(denied.GetRawResponse()!.Content.ToString()).GetProperty("error");
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());

        var allowed = await guarded.Sdk("sb-master-0123456789").GetChatClient("guarded").CompleteChatAsync([new UserChatMessage("hi")]);
        Assert.Equal("in", allowed.Value.Content[0].Text);
        // Health stays open for load balancers.
        Assert.Equal(HttpStatusCode.OK, (await guarded.Http.GetAsync("/healthz")).StatusCode);
    }
}
