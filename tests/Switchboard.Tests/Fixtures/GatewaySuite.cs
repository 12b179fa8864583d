namespace Switchboard.Tests.Fixtures;

/// <summary>
/// The shared gateway most tests drive, with providers for each failure mode:
/// <c>primary</c> (serves everything, fast retries), <c>slow</c> (short timeouts, serves <c>stall-*</c>),
/// <c>dead</c> (a closed port), <c>flaky</c> (no retries, breaker opens after 3 failures) and <c>azure</c>.
/// </summary>
public sealed class GatewaySuite : IAsyncLifetime
{
    public ScriptedUpstream Upstream { get; private set; } = null!;
    public GatewayHost Gateway { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Upstream = await ScriptedUpstream.StartAsync();
        // Listed before the first /v1/models call of any test: the gateway caches upstream lists.
        Upstream.ListedModels.Add("listed-by-upstream");
        var up = Upstream.BaseUrl;
        Gateway = await GatewayHost.StartAsync(new Dictionary<string, string?>
        {
            ["Switchboard:Providers:primary:BaseUrl"] = up + "/v1",
            ["Switchboard:Providers:primary:ApiKey"] = "sk-upstream-primary",
            ["Switchboard:Providers:primary:Models:0"] = "*",
            ["Switchboard:Providers:primary:Retry:BaseDelay"] = "10ms",
            ["Switchboard:Providers:primary:Retry:MaxDelay"] = "1s",
            ["Switchboard:Providers:primary:CircuitBreaker:FailureThreshold"] = "1000",

            ["Switchboard:Providers:slow:BaseUrl"] = up + "/slow/v1",
            ["Switchboard:Providers:slow:Models:0"] = "stall-*",
            ["Switchboard:Providers:slow:Timeouts:FirstByte"] = "400ms",
            ["Switchboard:Providers:slow:Timeouts:Idle"] = "400ms",
            ["Switchboard:Providers:slow:Retry:MaxRetries"] = "0",
            ["Switchboard:Providers:slow:CircuitBreaker:FailureThreshold"] = "1000",

            ["Switchboard:Providers:dead:BaseUrl"] = "http://127.0.0.1:9/v1",
            ["Switchboard:Providers:dead:Retry:MaxRetries"] = "1",
            ["Switchboard:Providers:dead:Retry:BaseDelay"] = "10ms",
            ["Switchboard:Providers:dead:CircuitBreaker:FailureThreshold"] = "1000",

            ["Switchboard:Providers:flaky:BaseUrl"] = up + "/flaky/v1",
            ["Switchboard:Providers:flaky:Retry:MaxRetries"] = "0",
            ["Switchboard:Providers:flaky:CircuitBreaker:FailureThreshold"] = "3",
            ["Switchboard:Providers:flaky:CircuitBreaker:BreakDuration"] = "10m",

            ["Switchboard:Providers:azure:Type"] = "azure",
            ["Switchboard:Providers:azure:BaseUrl"] = up,
            ["Switchboard:Providers:azure:ApiKey"] = "azure-secret",
            ["Switchboard:Providers:azure:ApiVersion"] = "2024-10-21",
            ["Switchboard:Providers:azure:Deployments:gpt-azure"] = "my-deployment",

            ["Switchboard:Models:fallback-model:Providers:0"] = "dead:fb-up",
            ["Switchboard:Models:fallback-model:Providers:1"] = "primary:fb-up",
            ["Switchboard:Models:unreachable-model:Providers:0"] = "dead:nowhere",
            ["Switchboard:Models:breaker-model:Providers:0"] = "flaky:breaker-flaky",
            ["Switchboard:Models:breaker-model:Providers:1"] = "primary:breaker-ok",
            ["Switchboard:Models:friendly:Providers:0"] = "primary:real-upstream-name",
            ["Switchboard:Models:friendly:Aliases:0"] = "friendly-alias",
            ["Switchboard:Models:gpt-azure:Providers:0"] = "azure",
        });
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Upstream.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewaySuite>
{
    public const string Name = "gateway";
}
