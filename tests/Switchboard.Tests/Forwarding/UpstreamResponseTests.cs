using System.Net;
using System.Text;
using Microsoft.AspNetCore.Http;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Forwarding;

/// <summary>Whatever an upstream answers, the client gets OpenAI's JSON: an upstream's error is normalised, its credentials never echoed.</summary>
public sealed class UpstreamResponseTests : IAsyncLifetime
{
    private const string Secret = "sk-upstream-secret-5be1f00d";
    private ScriptedUpstream _upstream = null!;
    private GatewayHost _gateway = null!;

    public async Task InitializeAsync()
    {
        _upstream = await ScriptedUpstream.StartAsync();
        _gateway = await GatewayHost.StartAsync(_upstream.GatewaySettings(
            ("Providers:up:ApiKey", Secret),
            ("Providers:up:Retry:MaxRetries", "0"),
            ("Providers:up:CircuitBreaker:FailureThreshold", "1000"),
            ("Providers:backup:BaseUrl", _upstream.BaseUrl + "/backup/v1"),
            ("Providers:backup:CircuitBreaker:FailureThreshold", "1000"),
            ("Models:with-backup:Providers:0", "up:bad-key"),
            ("Models:with-backup:Providers:1", "backup:good-key"),
            ("Limits:MaxResponseBodyBytes", "65536")));
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
    }

    private async Task<(HttpResponseMessage Response, string Body)> ChatAsync(string model)
    {
        var response = await Sse.PostAsync(_gateway.Http, "/v1/chat/completions", $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""");
        return (response, await response.Content.ReadAsStringAsync());
    }

    private static Task Html(UpstreamExchange x, int status, string html)
    {
        x.Context.Response.StatusCode = status;
        x.Context.Response.ContentType = "text/html";
        return x.Context.Response.WriteAsync(html, x.Aborted);
    }

    [Fact]
    public async Task An_upstream_401_is_a_502_that_never_echoes_the_gateways_key()
    {
        _upstream.On("refused-key", x => x.Json(401, Error($"Incorrect API key provided: {Secret}.", "invalid_request_error", "invalid_api_key")));
        var (response, body) = await ChatAsync("refused-key");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream_authentication_failed", OpenAiErrors.AssertShape(body).GetProperty("code").GetString());
        Assert.Equal("false", response.Headers.GetValues("x-should-retry").Single());
        Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
        Assert.DoesNotContain("Incorrect API key", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refused_key_falls_back_to_the_next_provider()
    {
        _upstream.On("bad-key", x => x.Json(401, Error("Incorrect API key provided", "invalid_request_error", "invalid_api_key")));
        _upstream.On("good-key", x => x.Json(200, Completion("from backup")));
        var (response, body) = await ChatAsync("with-backup");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("from backup", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_providers_key_is_blanked_out_of_any_passed_through_message()
    {
        _upstream.On("echoes-key", x => x.Json(400, Error($"Bad request for key {Secret}", "invalid_request_error", "bad")));
        var (response, body) = await ChatAsync("echoes-key");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.DoesNotContain(Secret, body, StringComparison.Ordinal);
        Assert.Contains("[redacted]", OpenAiErrors.AssertShape(body).GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(404)]
    [InlineData(429)]
    public async Task An_html_error_page_becomes_json_with_the_upstreams_status(int status)
    {
        var model = $"html-{status}";
        _upstream.On(model, x => Html(x, status, "<html><script>alert(document.cookie)</script></html>"));
        var (response, body) = await ChatAsync(model);
        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("upstream_error", OpenAiErrors.AssertShape(body).GetProperty("code").GetString());
        Assert.DoesNotContain("<script>", body, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"error":"model 'x' not found"}""", "model 'x' not found")]
    [InlineData("""{"object":"error","message":"max_tokens is too large","type":"BadRequestError","param":null,"code":400}""", "max_tokens is too large")]
    public async Task Other_servers_error_shapes_are_normalised(string upstreamBody, string message)
    {
        var model = $"shape-{upstreamBody.Length}";
        _upstream.On(model, x => x.Json(400, upstreamBody));
        var (response, body) = await ChatAsync(model);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(message, OpenAiErrors.AssertShape(body).GetProperty("message").GetString());
    }

    [Fact]
    public async Task A_success_that_is_not_a_json_object_is_a_502()
    {
        _upstream.On("html-200", x => Html(x, 200, "<html>captive portal</html>"));
        var (response, body) = await ChatAsync("html-200");
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream_bad_response", OpenAiErrors.AssertShape(body).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_json_success_mislabelled_by_the_upstream_is_served_as_json()
    {
        _upstream.On("mislabelled", x =>
        {
            x.Context.Response.ContentType = "text/html";
            return x.Context.Response.WriteAsync(Completion("fine"), x.Aborted);
        });
        var (response, body) = await ChatAsync("mislabelled");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(Completion("fine"), body);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_reply_over_the_response_limit_is_a_502(bool announceLength)
    {
        var model = $"too-large-{announceLength}";
        var big = Encoding.UTF8.GetBytes(Completion(new string('z', 100_000)));
        _upstream.On(model, async x =>
        {
            x.Context.Response.ContentType = "application/json";
            if (announceLength) x.Context.Response.ContentLength = big.Length;
            await x.Context.Response.Body.WriteAsync(big, x.Aborted);
        });
        var (response, body) = await ChatAsync(model);
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream_response_too_large", OpenAiErrors.AssertShape(body).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_client_that_leaves_while_a_reply_is_read_leaves_no_memory_reserved()
    {
        var halfSent = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _upstream.On("half-reply", async x =>
        {
            x.Context.Response.ContentType = "application/json";
            x.Context.Response.ContentLength = 60_000;
            await x.Raw(new byte[20_000]);
            halfSent.TrySetResult();
            await x.Stall();
        });
        using var leaving = new CancellationTokenSource();
        var request = _gateway.Http.PostAsync("/v1/chat/completions",
            new StringContent("""{"model":"half-reply","messages":[]}""", Encoding.UTF8, "application/json"), leaving.Token);
        await halfSent.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await leaving.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);
        await _upstream.CallsFor("half-reply").Single().Aborted.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(0, await _gateway.StopAndGetHeldBufferBytesAsync());
    }
}
