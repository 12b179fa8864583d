using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using Switchboard.Tests.Fixtures;
using static Switchboard.Tests.Fixtures.OpenAiShapes;

namespace Switchboard.Tests.Authentication;

/// <summary>A gateway with a master key and an upstream that answers everything, shared by these tests.</summary>
public sealed class GuardedGateway : IAsyncLifetime
{
    public const string MasterKey = "sb-master-0123456789";
    public ScriptedUpstream Upstream { get; private set; } = null!;
    public GatewayHost Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await ScriptedUpstream.StartAsync();
        Upstream.On("guarded", x => x.Json(200, Completion("spent")));
        Upstream.ListedModels.Add("guarded");
        Gateway = await GatewayHost.StartAsync(Upstream.GatewaySettings(("MasterKey", MasterKey)));
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}

public sealed class MasterKeyTests(GuardedGateway fixture) : IClassFixture<GuardedGateway>
{
    private const string Chat = """{"model":"guarded","messages":[{"role":"user","content":"hi"}]}""";

    /// <summary>Sends the request line exactly as given (no client-side normalisation of the path), with no key.</summary>
    private async Task<int> RawStatusAsync(string method, string target, string? body = null)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(IPAddress.Loopback, new Uri(fixture.Gateway.BaseUrl).Port);
        var stream = client.GetStream();
        var bytes = body is null ? 0 : Encoding.UTF8.GetByteCount(body);
        var request = $"{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {bytes}\r\nConnection: close\r\n\r\n{body}";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
        using var reader = new StreamReader(stream);
        var statusLine = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return int.Parse(statusLine!.Split(' ')[1]);
    }

    [Theory]
    [InlineData("POST", "/V1/chat/completions")]
    [InlineData("POST", "/v1/CHAT/COMPLETIONS")]
    [InlineData("POST", "/v1/chat/completions/")]
    [InlineData("POST", "/x/../V1/chat/completions")]
    [InlineData("POST", "/v1/./chat/completions")]
    [InlineData("POST", "//v1/chat/completions")]
    [InlineData("POST", "/%76%31/chat/completions")]
    [InlineData("GET", "/V1/models")]
    [InlineData("GET", "/x/../V1/models")]
    [InlineData("GET", "/v1/Models/guarded")]
    [InlineData("POST", "/V1/embeddings")]
    public async Task No_spelling_of_a_path_reaches_a_handler_without_the_key(string method, string target)
    {
        var before = fixture.Upstream.CallsFor("guarded").Count;
        var status = await RawStatusAsync(method, target, method == "POST" ? Chat : null);
        Assert.Equal(401, status);
        Assert.Equal(before, fixture.Upstream.CallsFor("guarded").Count);
    }

    [Fact]
    public async Task The_key_opens_any_spelling_and_health_stays_open_without_it()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/V1/Chat/Completions") { Content = new StringContent(Chat, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GuardedGateway.MasterKey);
        using var response = await fixture.Gateway.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("spent", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        Assert.Equal(200, await RawStatusAsync("GET", "/healthz"));
        Assert.Equal(200, await RawStatusAsync("GET", "/READYZ"));
    }

    [Fact]
    public async Task Unknown_paths_are_not_a_way_around_the_key()
    {
        Assert.Equal(401, await RawStatusAsync("GET", "/v1/assistants"));
        Assert.Equal(401, await RawStatusAsync("GET", "/favicon.ico"));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/assistants");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", GuardedGateway.MasterKey);
        Assert.Equal(HttpStatusCode.NotFound, (await fixture.Gateway.Http.SendAsync(request)).StatusCode);
    }
}
