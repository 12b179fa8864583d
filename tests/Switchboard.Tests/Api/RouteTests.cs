using System.Net;
using System.Text;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.Api;

[Collection(GatewayCollection.Name)]
public sealed class RouteTests(GatewaySuite suite) : GatewaySuiteTests(suite)
{
    [Fact]
    public async Task Head_is_answered_where_get_is()
    {
        using var health = await Gateway.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/healthz"));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Empty(await health.Content.ReadAsByteArrayAsync());
        using var models = await Gateway.Http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/v1/models"));
        Assert.Equal(HttpStatusCode.OK, models.StatusCode);
    }

    [Fact]
    public async Task Options_lists_the_methods_of_a_path()
    {
        using var response = await Gateway.Http.SendAsync(new HttpRequestMessage(HttpMethod.Options, "/v1/chat/completions"));
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
        Assert.Contains("POST", response.Content.Headers.Allow);
    }

    [Fact]
    public async Task A_known_path_with_the_wrong_method_is_a_405_in_openai_shape_with_allow()
    {
        using var response = await Gateway.Http.GetAsync("/v1/chat/completions");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, response.StatusCode);
        Assert.Contains("POST", response.Content.Headers.Allow);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = Sse.Json(await response.Content.ReadAsStringAsync()).GetProperty("error");
        Assert.Equal("method_not_allowed", error.GetProperty("code").GetString());

        using var post = await Gateway.Http.PostAsync("/v1/models", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
    }

    [Fact]
    public async Task Paths_outside_v1_get_openai_404s_too()
    {
        using var response = await Gateway.Http.GetAsync("/nothing/here.html");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("Invalid URL", Sse.Json(await response.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
    }
}
