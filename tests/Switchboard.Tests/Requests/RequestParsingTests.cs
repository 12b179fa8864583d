using System.Net;
using System.Text;
using System.Text.Json;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Requests;

/// <summary>What the gateway reads from a body, and what it must refuse so that it and the upstream never read a request differently.</summary>
[Collection(GatewayCollection.Name)]
public sealed class RequestParsingTests(GatewaySuite suite) : GatewaySuiteTests(suite)
{
    private async Task<(HttpStatusCode Status, string Body)> PostAsync(byte[] body, string path = "/v1/chat/completions")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        using var response = await Gateway.Http.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private Task<(HttpStatusCode Status, string Body)> PostAsync(string body, string path = "/v1/chat/completions") => PostAsync(Encoding.UTF8.GetBytes(body), path);

    [Theory]
    [InlineData("""{"model":"dup","messages":[],"stream":true,"stream_options":{"include_usage":true},"stream_options":null}""", "stream_options")]
    [InlineData("""{"model":"dup","model":"other","messages":[]}""", "model")]
    [InlineData("""{"model":"dup","messages":[],"\u006dodel":"other"}""", "model")]
    [InlineData("""{"model":"dup","messages":[],"stream":false,"stream":true}""", "stream")]
    public async Task Fields_the_gateway_acts_on_must_appear_once(string body, string param)
    {
        Upstream.On("dup", x => x.Json(200, Completion("ok")));
        var (status, response) = await PostAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = OpenAiErrors.AssertShape(response);
        Assert.Equal("duplicate_parameter", error.GetProperty("code").GetString());
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Empty(Upstream.CallsFor("dup"));
    }

    [Theory]
    [InlineData(""","stream_options":null""")]
    [InlineData(""","stream_options":{"include_usage":false,"include_obfuscation":false,"include_usage":false}""")]
    [InlineData(""" , "stream_options" : { } """)]
    [InlineData("")]
    public async Task Every_stream_asks_the_upstream_for_usage_exactly_once(string streamOptions)
    {
        Upstream.On("usage-forced", x => StreamAnswer(x, "ok"));
        var before = Upstream.CallsFor("usage-forced").Count;
        var (status, _) = await PostAsync($$"""{"model":"usage-forced","messages":[{"role":"user","content":"hi"}],"stream":true{{streamOptions}}}""");
        Assert.Equal(HttpStatusCode.OK, status);

        var sent = Upstream.CallsFor("usage-forced")[before].Body;
        using var document = JsonDocument.Parse(sent);
        Assert.True(document.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
        // One stream_options with one include_usage: parsers that keep the first and parsers that keep the last agree.
        Assert.Single(document.RootElement.EnumerateObject(), p => p.Name == "stream_options");
        Assert.Single(document.RootElement.GetProperty("stream_options").EnumerateObject(), p => p.Name == "include_usage");
        if (streamOptions.Contains("include_obfuscation", StringComparison.Ordinal))
            Assert.False(document.RootElement.GetProperty("stream_options").GetProperty("include_obfuscation").GetBoolean());
    }

    [Fact]
    public async Task A_lone_surrogate_escape_in_a_string_is_forwarded_as_sent_not_a_500()
    {
        Upstream.On("surrogate", x => x.Json(200, Completion("ok")));
        const string body = """{"model":"surrogate","messages":[{"role":"user","content":"broken \ud800 pair \udfff"}]}""";
        var (status, _) = await PostAsync(body);
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(body, Upstream.CallsFor("surrogate").Single().Body);
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xFE })]
    [InlineData(new byte[] { 0xC0, 0x80 })]
    [InlineData(new byte[] { 0xE4, 0xBD })]
    public async Task Invalid_utf8_is_a_400_wherever_it_is(byte[] invalid)
    {
        foreach (var (prefix, suffix) in new[] { ("{\"model\":\"m", "\",\"messages\":[]}"), ("{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x", "\"}]}") })
        {
            var (status, body) = await PostAsync([.. Encoding.UTF8.GetBytes(prefix), .. invalid, .. Encoding.UTF8.GetBytes(suffix)]);
            Assert.Equal(HttpStatusCode.BadRequest, status);
            OpenAiErrors.AssertShape(body);
        }
    }

    [Theory]
    [InlineData("""{"model":"a\ud800b","messages":[]}""")]
    [InlineData("""{"model":"line\nforged-log-line","messages":[]}""")]
    [InlineData("""{"model":"tab\tname","messages":[]}""")]
    public async Task A_model_name_that_is_not_plain_text_is_a_400_naming_model(string body)
    {
        var (status, response) = await PostAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = OpenAiErrors.AssertShape(response);
        Assert.Equal("model", error.GetProperty("param").GetString());
        Assert.Equal("invalid_value", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_huge_model_name_is_refused_without_being_echoed()
    {
        var model = new string('m', 1_000_000);
        var (status, response) = await PostAsync($$"""{"model":"{{model}}","messages":[]}""");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("model", OpenAiErrors.AssertShape(response).GetProperty("param").GetString());
        Assert.True(response.Length < 1000, $"the error echoed {response.Length} bytes");
    }

    [Theory]
    [InlineData("""{"model":1,"messages":[]}""", "model", "invalid_type")]
    [InlineData("""{"model":"m","messages":{}}""", "messages", "invalid_type")]
    [InlineData("""{"model":"m","messages":[],"stream":"yes"}""", "stream", "invalid_type")]
    [InlineData("""{"model":"m","messages":[],"stream_options":[]}""", "stream_options", "invalid_type")]
    [InlineData("""{"model":"m"}""", "messages", "missing_required_parameter")]
    [InlineData("""{"messages":[]}""", "model", "missing_required_parameter")]
    public async Task Wrong_types_and_missing_fields_name_the_parameter(string body, string param, string code)
    {
        var (status, response) = await PostAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        var error = OpenAiErrors.AssertShape(response);
        Assert.Equal(param, error.GetProperty("param").GetString());
        Assert.Equal(code, error.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("[1,2]")]
    [InlineData("\"text\"")]
    [InlineData("{\"model\":\"m\",\"messages\":[]} trailing")]
    [InlineData("{\"model\":\"m\",\"messages\":[],}")]
    [InlineData("{\"model\":\"m\",/* c */\"messages\":[]}")]
    [InlineData("")]
    public async Task Bodies_that_are_not_one_json_object_are_400s(string body)
    {
        var (status, response) = await PostAsync(body);
        Assert.Equal(HttpStatusCode.BadRequest, status);
        OpenAiErrors.AssertShape(response);
    }

    [Fact]
    public async Task A_default_model_is_inserted_for_endpoints_that_have_one()
    {
        Upstream.On("omni-moderation-latest", x => x.Json(200, """{"id":"modr","model":"omni-moderation-latest","results":[]}"""));
        var before = Upstream.CallsFor("omni-moderation-latest").Count;
        var (status, _) = await PostAsync("""{"input":"is this fine?","model":null}""", "/v1/moderations");
        Assert.Equal(HttpStatusCode.OK, status);
        var (status2, _) = await PostAsync("""  {  "input":"is this fine?"}""", "/v1/moderations");
        Assert.Equal(HttpStatusCode.OK, status2);
        var calls = Upstream.CallsFor("omni-moderation-latest").Skip(before).ToList();
        Assert.Equal("""{"input":"is this fine?","model":"omni-moderation-latest"}""", calls[0].Body);
        Assert.Equal("""  {"model":"omni-moderation-latest",  "input":"is this fine?"}""", calls[1].Body);
    }
}
