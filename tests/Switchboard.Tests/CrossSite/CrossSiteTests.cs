using System.Net;
using System.Net.Http.Headers;
using System.Text;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.CrossSite;

/// <summary>
/// A web page on another site, running in the browser of someone whose machine runs a keyless gateway, must not
/// be able to spend its provider keys or read its answers.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class CrossSiteTests(GatewaySuite suite) : GatewaySuiteTests(suite)
{
    private const string Chat = """{"model":"cross-site","messages":[{"role":"user","content":"hi"}]}""";

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string contentType, string? origin = null, string? host = null, string body = Chat)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body)) };
        if (contentType.Length > 0) request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (host is not null) request.Headers.Host = host;
        return await http.SendAsync(request);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("text/plain; charset=utf-8")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData("")]
    public async Task A_body_not_declared_json_is_refused_before_it_reaches_an_upstream(string contentType)
    {
        Upstream.On("cross-site", x => x.Json(200, Completion("spent")));
        var before = Upstream.CallsFor("cross-site").Count;
        using var response = await SendAsync(Gateway.Http, contentType);
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        Assert.Equal("unsupported_media_type", Sse.Json(await response.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(before, Upstream.CallsFor("cross-site").Count);
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON")]
    [InlineData("application/vnd.api+json")]
    public async Task Json_bodies_are_served(string contentType)
    {
        Upstream.On("cross-site", x => x.Json(200, Completion("ok")));
        using var response = await SendAsync(Gateway.Http, contentType);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("null")]
    [InlineData("http://127.0.0.1:1")]
    public async Task A_request_from_another_origin_is_refused(string origin)
    {
        Upstream.On("cross-site", x => x.Json(200, Completion("spent")));
        var before = Upstream.CallsFor("cross-site").Count;
        using var response = await SendAsync(Gateway.Http, "application/json", origin);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("origin_not_allowed", Sse.Json(await response.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("code").GetString());
        Assert.False(response.Headers.Contains("Access-Control-Allow-Origin"));
        Assert.Equal(before, Upstream.CallsFor("cross-site").Count);
    }

    [Fact]
    public async Task A_same_origin_page_is_served()
    {
        Upstream.On("cross-site", x => x.Json(200, Completion("ok")));
        using var response = await SendAsync(Gateway.Http, "application/json", Gateway.BaseUrl);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Theory]
    [InlineData("attacker.example")]
    [InlineData("attacker.example:8080")]
    [InlineData("127.0.0.1.attacker.example")]
    public async Task Without_a_key_a_host_name_a_rebinding_page_could_own_is_refused(string host)
    {
        Upstream.On("cross-site", x => x.Json(200, Completion("spent")));
        var before = Upstream.CallsFor("cross-site").Count;
        using var response = await SendAsync(Gateway.Http, "application/json", host: host);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("host_not_allowed", Sse.Json(await response.Content.ReadAsStringAsync()).GetProperty("error").GetProperty("code").GetString());
        Assert.Equal(before, Upstream.CallsFor("cross-site").Count);
        // Reading is refused too, not only spending.
        using var models = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        models.Headers.Host = host;
        Assert.Equal(HttpStatusCode.Forbidden, (await Gateway.Http.SendAsync(models)).StatusCode);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("LOCALHOST:8080")]
    [InlineData("app.localhost")]
    [InlineData("[::1]:8080")]
    [InlineData("10.1.2.3")]
    public async Task Ip_addresses_and_localhost_are_answered_without_a_key(string host)
    {
        Upstream.On("cross-site", x => x.Json(200, Completion("ok")));
        using var response = await SendAsync(Gateway.Http, "application/json", host: host);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Configured_origins_and_hosts_are_allowed_with_cors_headers_and_preflight()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("cross-site", x => x.Json(200, Completion("ok")));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(
            ("Cors:AllowedOrigins:0", "https://console.example.com"),
            ("AllowedHosts:0", "gateway.internal")));

        using var preflight = new HttpRequestMessage(HttpMethod.Options, "/v1/chat/completions");
        preflight.Headers.Add("Origin", "https://console.example.com");
        preflight.Headers.Add("Access-Control-Request-Method", "POST");
        preflight.Headers.Add("Access-Control-Request-Headers", "authorization, content-type");
        using var answer = await gateway.Http.SendAsync(preflight);
        Assert.Equal(HttpStatusCode.NoContent, answer.StatusCode);
        Assert.Equal("https://console.example.com", answer.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("POST", answer.Headers.GetValues("Access-Control-Allow-Methods").Single(), StringComparison.Ordinal);
        Assert.Equal("authorization, content-type", answer.Headers.GetValues("Access-Control-Allow-Headers").Single());

        using var response = await SendAsync(gateway.Http, "application/json", "https://console.example.com", "gateway.internal");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("https://console.example.com", response.Headers.GetValues("Access-Control-Allow-Origin").Single());
        Assert.Contains("x-request-id", response.Headers.GetValues("Access-Control-Expose-Headers").Single(), StringComparison.Ordinal);

        using var other = await SendAsync(gateway.Http, "application/json", "https://other.example.com");
        Assert.Equal(HttpStatusCode.Forbidden, other.StatusCode);
    }

    [Fact]
    public async Task With_a_master_key_any_host_name_may_be_used()
    {
        await using var upstream = await ScriptedUpstream.StartAsync();
        upstream.On("cross-site", x => x.Json(200, Completion("ok")));
        await using var gateway = await GatewayHost.StartAsync(upstream.GatewaySettings(("MasterKey", "sb-master-0123456789")));
        gateway.Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sb-master-0123456789");
        using var response = await SendAsync(gateway.Http, "application/json", host: "gateway.example.com");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
