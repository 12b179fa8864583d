using System.ClientModel;
using System.ClientModel.Primitives;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using Switchboard.Configuration;
using Switchboard.Hosting;

namespace Switchboard.Tests.Fixtures;

/// <summary>A real gateway on 127.0.0.1 (ephemeral port), isolated from the developer's own environment and ~/.openai.</summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private GatewayHost(WebApplication app, string baseUrl, string workDirectory)
    {
        App = app;
        BaseUrl = baseUrl;
        WorkDirectory = workDirectory;
        Http = new HttpClient { BaseAddress = new Uri(baseUrl), Timeout = TimeSpan.FromSeconds(60) };
    }

    public WebApplication App { get; }
    public string BaseUrl { get; }
    public string WorkDirectory { get; }
    public string DataDirectory => Path.Combine(WorkDirectory, "data");
    public HttpClient Http { get; }

    public static async Task<GatewayHost> StartAsync(IDictionary<string, string?> settings, IDictionary<string, string?>? environment = null, string? workDirectory = null,
        Action<IServiceCollection>? configureServices = null)
    {
        workDirectory ??= Directory.CreateTempSubdirectory("switchboard-test-").FullName;
        var overrides = new Dictionary<string, string?>(settings)
        {
            ["Switchboard:Urls"] = "http://127.0.0.1:0",
            ["Switchboard:Logging:File:Enabled"] = settings.TryGetValue("Switchboard:Logging:File:Enabled", out var file) ? file : "false",
        };
        var app = GatewayApp.Build(new ConfigurationInputs
        {
            WorkingDirectory = workDirectory,
            HomeDirectory = workDirectory,
            Environment = new Dictionary<string, string?>(environment ?? new Dictionary<string, string?>()),
            Overrides = overrides,
        }, configureServices);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new GatewayHost(app, address.TrimEnd('/'), workDirectory);
    }

    /// <summary>
    /// Stops the gateway (in-flight requests finish first) and returns the bytes its buffers still hold reserved:
    /// anything but 0 is a leak that would, over time, leave every request a 503.
    /// </summary>
    public async Task<long> StopAndGetHeldBufferBytesAsync()
    {
        await App.StopAsync();
        return App.Services.GetRequiredService<Switchboard.Buffers.BufferBudget>().Used;
    }

    /// <summary>Everything a gateway wrote to its rolling log files under <paramref name="dataDirectory"/> (complete once it has been disposed).</summary>
    public static string ReadLogs(string dataDirectory) =>
        string.Concat(Directory.GetFiles(Path.Combine(dataDirectory, "logs")).Order(StringComparer.Ordinal).Select(File.ReadAllText));

    /// <summary>The official OpenAI .NET SDK pointed at this gateway, with its own retries off so tests see the gateway's behaviour.</summary>
    public OpenAIClient Sdk(string apiKey = "sk-client-key") => new(new ApiKeyCredential(apiKey), new OpenAIClientOptions
    {
        Endpoint = new Uri(BaseUrl + "/v1"),
        RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
    });

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
