using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using OpenAI.Chat;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.Fuzz;

/// <summary>
/// "Never a 5xx from a client's input." Thousands of seeded mutations of valid requests — of their JSON structure,
/// of their bytes, and of the HTTP around them sent over a raw socket so nothing normalises them — go to a real
/// gateway whose upstream always answers well, so any 5xx, any error not in OpenAI's shape, any broken stream, and
/// any malformed body forwarded upstream is the gateway's own doing. A failure names the seed, the case number and
/// the input, which is all it takes to replay it.
/// </summary>
public sealed class RequestFuzzTests
{
    private const int Parallelism = 8;
    private static readonly int[] BodySeeds = [11, 12, 13, 14, 15, 16];
    private const int BodyCasesPerSeed = 500;
    private static readonly int[] RawSeeds = [21, 22, 23, 24];
    private const int RawCasesPerSeed = 250;

    [Fact]
    public async Task Mutated_json_bodies_never_get_a_5xx_and_errors_are_openai_shaped()
    {
        await using var upstream = await WellBehavedUpstream.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        var cases = BodySeeds.SelectMany(seed => BodyCases.Generate(seed, BodyCasesPerSeed)).ToList();

        var failures = new ConcurrentBag<(int Seed, int Number, string Text)>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (c, cancellationToken) =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, c.Path) { Content = new ByteArrayContent(c.Body) };
            request.Content.Headers.ContentType = new("application/json");
            using var response = await gateway.Http.SendAsync(request, cancellationToken);
            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken);
            var problem = FuzzWire.CheckResponse((int)response.StatusCode, response.Content.Headers.ContentType?.MediaType, body, c.Expected, errorHasBody: true);
            if (problem is not null)
            {
                failures.Add((c.Seed, c.Number, $"seed {c.Seed} case {c.Number} [{c.Mutation}] POST {c.Path}: {problem}\n" +
                    $"    input: {FuzzWire.Show(c.Body)}\n    answer: {(int)response.StatusCode} {FuzzWire.Show(body)}"));
            }
        });

        FuzzWire.AssertNoFailures(failures, cases.Count);
        await AssertStillServingAsync(gateway);
        Assert.Equal(0, await gateway.StopAndGetHeldBufferBytesAsync());
    }

    [Fact]
    public async Task Raw_http_variations_never_get_a_5xx_and_errors_are_openai_shaped()
    {
        await using var upstream = await WellBehavedUpstream.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        var port = new Uri(gateway.BaseUrl).Port;
        var cases = RawSeeds.SelectMany(seed => RawCases.Generate(seed, RawCasesPerSeed, port)).ToList();

        var failures = new ConcurrentBag<(int Seed, int Number, string Text)>();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (c, cancellationToken) =>
        {
            string? problem;
            RawResponse? response = null;
            try
            {
                response = await RawHttp.SendAsync(port, c.Request, c.HalfClose, c.IsHead, cancellationToken);
                problem = response is null
                    ? c.MayGoUnanswered ? null : "the connection closed without a response"
                    : FuzzWire.CheckResponse(response.Status, response.MediaType, response.Body, c.Expected, errorHasBody: c.WellFramed && !c.IsHead) ?? c.Extra?.Invoke(response);
            }
            catch (Exception e) when (e is IOException or SocketException or TimeoutException or OperationCanceledException or InvalidDataException)
            {
                problem = $"no readable response: {e.GetType().Name}: {e.Message}";
            }
            if (problem is not null)
            {
                failures.Add((c.Seed, c.Number, $"seed {c.Seed} case {c.Number} [{c.Mutation}]: {problem}\n" +
                    $"    request: {FuzzWire.Show(c.Request)}\n    answer: {(response is null ? "(none)" : $"{response.Status} {FuzzWire.Show(response.Body)}")}"));
            }
        });

        FuzzWire.AssertNoFailures(failures, cases.Count);
        await AssertStillServingAsync(gateway);
        Assert.Equal(0, await gateway.StopAndGetHeldBufferBytesAsync());
    }

    // The smallest inputs for faults the fuzzing above found, kept as regressions.

    [Fact]
    public async Task Json_declared_as_brotli_is_a_400_not_a_500()
    {
        await using var upstream = await WellBehavedUpstream.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-fuzz","messages":[]}""", Encoding.UTF8, "application/json"),
        };
        request.Content.Headers.ContentEncoding.Add("br");
        using var response = await gateway.Http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{(int)response.StatusCode} {body}");
        OpenAiErrors.AssertShape(body);
    }

    [Fact]
    public async Task A_chunk_size_too_large_for_a_number_is_a_400_not_a_500()
    {
        await using var upstream = await WellBehavedUpstream.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        var request = "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\n"u8.ToArray();
        var response = await RawHttp.SendAsync(new Uri(gateway.BaseUrl).Port, request, halfClose: false, isHead: false, CancellationToken.None);
        Assert.NotNull(response);
        Assert.True(response.Status == 400, $"{response.Status} {Encoding.UTF8.GetString(response.Body)}");
        OpenAiErrors.AssertShape(Encoding.UTF8.GetString(response.Body));
    }

    [Fact]
    public async Task An_empty_model_reaches_the_upstream_as_the_default_the_gateway_routed_it_as()
    {
        // The gateway takes "" as "the endpoint's default" (omni-moderation-latest) and meters it so; the upstream must be told the same.
        await using var upstream = await WellBehavedUpstream.StartAsync();
        await using var gateway = await StartGatewayAsync(upstream);
        using var response = await Sse.PostAsync(gateway.Http, "/v1/moderations", """{"input":"hi","model":""}""");
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode} {body}");
    }

    private static Task<GatewayHost> StartGatewayAsync(WellBehavedUpstream upstream) => GatewayHost.StartAsync(new Dictionary<string, string?>
    {
        ["Switchboard:Providers:up:BaseUrl"] = upstream.BaseUrl + "/v1",
        ["Switchboard:Providers:up:Models:0"] = "*",
        ["Switchboard:Providers:up:ApiKey"] = "sk-upstream-request-fuzz",
        ["Switchboard:Providers:up:Retry:MaxRetries"] = "0",
        ["Switchboard:Providers:up:CircuitBreaker:FailureThreshold"] = "100000",
        [$"Switchboard:Models:{WellBehavedUpstream.RenamedModel}:Providers:0"] = $"up:{WellBehavedUpstream.UpstreamName}",
        ["Switchboard:Models:dall-e-2:Providers:0"] = $"up:{WellBehavedUpstream.UpstreamName}",
        ["Switchboard:Limits:MaxRequestBodyBytes"] = BodyCases.MaxRequestBodyBytes.ToString(CultureInfo.InvariantCulture),
        // Errors only: an unexpected exception is still printed, thousands of request lines are not.
        ["Switchboard:Logging:Level"] = "Error",
    });

    private static async Task AssertStillServingAsync(GatewayHost gateway)
    {
        using var health = await gateway.Http.GetAsync("/healthz");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var completion = await gateway.Sdk().GetChatClient("gpt-fuzz").CompleteChatAsync([new UserChatMessage("still there?")]);
        Assert.Equal(WellBehavedUpstream.Answer, completion.Value.Content[0].Text);
    }
}
