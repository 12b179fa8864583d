using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Scalar.AspNetCore;
using Switchboard.Admin;
using Switchboard.Admission;
using Switchboard.Api;
using Switchboard.Authentication;
using Switchboard.Billing;
using Switchboard.Buffers;
using Switchboard.Configuration;
using Switchboard.Connections;
using Switchboard.CrossSite;
using Switchboard.Forwarding;
using Switchboard.Keys;
using Switchboard.Ledger;
using Switchboard.LocalModels;
using Switchboard.Logging;
using Switchboard.Metering;
using Switchboard.Providers;
using Switchboard.Resilience;
using Switchboard.Routing;
using Switchboard.Storage;
using Switchboard.Telemetry;
using Switchboard.WebConsole;

namespace Switchboard.Hosting;

/// <summary>Builds the gateway: configuration, services, middleware and endpoints, in the order a request meets them.</summary>
public static class GatewayApp
{
    /// <exception cref="ConfigurationException">The configuration is invalid; the message names every bad key.</exception>
    public static WebApplication Build(ConfigurationInputs inputs, Action<IServiceCollection>? configureServices = null)
    {
        var configuration = ConfigurationSources.Build(inputs);
        var options = GatewayOptionsReader.Read(configuration, inputs.WorkingDirectory);
        Directory.CreateDirectory(options.DataDirectory);

        // An empty builder: no appsettings files or watchers, no configuration we did not layer ourselves.
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ContentRootPath = inputs.WorkingDirectory, Args = [] });
        builder.Configuration.AddConfiguration(configuration);
        var limits = options.Limits;
        builder.WebHost.UseKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = limits.MaxRequestBodyBytes;
            // The connection limit is enforced before accepting, by SocketListenerFactory.
            kestrel.Limits.RequestHeadersTimeout = limits.RequestHeadersTimeout;
            kestrel.Limits.MinRequestBodyDataRate = new MinDataRate(limits.MinRequestBodyBytesPerSecond, limits.RequestBodyGracePeriod);
        });
        builder.WebHost.UseUrls([.. options.Urls, .. options.Metrics is { Enabled: true, Url: { } metrics } ? [metrics.GetLeftPart(UriPartial.Authority)] : Array.Empty<string>()]);
        builder.Services.AddRouting();
        builder.Services.AddOpenApi(openApi => openApi.AddDocumentTransformer((document, _, _) =>
        {
            document.Info = new() { Title = "Switchboard", Description = "OpenAI's API and Administration API as Switchboard serves them; operations tagged 'Switchboard extensions' are ours." };
            return Task.CompletedTask;
        }));
        builder.Services.Configure<HostOptions>(host => host.ShutdownTimeout = options.ShutdownTimeout);

        // One minimum level, from Switchboard:Logging:Level; the framework's own chatter only from Warning up.
        builder.Logging.SetMinimumLevel(options.Logging.MinimumLevel);
        builder.Logging.AddFilter("Microsoft", (LogLevel)Math.Max((int)LogLevel.Warning, (int)options.Logging.MinimumLevel));
        builder.Logging.AddFilter("System", (LogLevel)Math.Max((int)LogLevel.Warning, (int)options.Logging.MinimumLevel));
        // ASP.NET Core starts an Activity (and its ids) for every request while its hosting logger is on at any level,
        // for log scopes our sinks do not write. Off, that costs nothing per request; our traces do not use that
        // Activity (Telemetry/GatewayTracing.cs reads traceparent itself). The price: that category's few startup
        // messages (a hosting-startup assembly failing, HTTP_PORTS overridden by URLs) are not logged.
        builder.Logging.AddFilter("Microsoft.AspNetCore.Hosting.Diagnostics", LogLevel.None);
        // Registered by factory so the container owns it: disposing the app drains what is still queued.
        builder.Services.AddSingleton<ILoggerProvider>(_ =>
        {
            List<LogSink> sinks = [];
            if (options.Logging.ConsoleEnabled) sinks.Add(new ConsoleSink());
            if (options.Logging.FileEnabled) sinks.Add(new RollingFileSink(Path.Combine(options.DataDirectory, "logs"), options.Logging));
            return new BatchingLoggerProvider(sinks, TimeProvider.System);
        });

        var services = builder.Services;
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton(Random.Shared);
        services.AddSingleton(new BufferBudget(limits.MaxBufferedBytes));
        // Requests run on the socket thread that read them instead of hopping to the thread pool: +18% throughput
        // on one core (docs/benchmarks.md). Safe because nothing on the request path blocks a thread.
        services.AddSingleton(provider => new SocketConnectionContextFactory(
            new SocketConnectionFactoryOptions { UnsafePreferInlineScheduling = true },
            provider.GetRequiredService<ILoggerFactory>().CreateLogger("Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets")));
        services.AddSingleton<IConnectionListenerFactory, SocketListenerFactory>();
        services.AddSingleton<RetryPolicy>();
        services.AddSingleton<ProviderRegistry>();
        services.AddSingleton<ModelRouter>();
        services.AddSingleton<ModelCatalog>();
        services.AddSingleton<LocalForwarder>();
        services.AddSingleton<UpstreamForwarder>();
        services.AddSingleton(new Prices(options.Prices, options.Models));
        services.AddSingleton<LedgerWriter>();
        services.AddSingleton<LedgerRetention>();
        services.AddHostedService(provider => provider.GetRequiredService<LedgerRetention>());
        services.AddGatewayMetrics(options);
        services.AddGatewayTracing(options);
        services.AddSingleton<RequestRecorder>();
        services.AddSingleton<LimitCache>();
        services.AddSingleton<AdmissionGate>();
        services.AddSingleton<ModerationGuard>();
        services.AddSingleton<ProxyHandler>();
        services.AddSingleton<AllowedMethods>();
        // Opened before the host starts (nothing is served yet, so waiting here blocks no request): the schema is
        // migrated, the default project exists, and the key cache is loaded before the first request can arrive.
        var store = Store.OpenAsync(options.Storage).GetAwaiter().GetResult();
        store.EnsureProjectAsync(new ProjectRow { Id = AdminApi.DefaultProjectId, Name = "Default project", CreatedAt = DateTimeOffset.UtcNow.ToUnixTimeSeconds() })
            .GetAwaiter().GetResult();
        services.AddSingleton(_ => store);
        services.AddSingleton<KeyCache>();
        services.AddSingleton<StoreSync>();
        services.AddSingleton(inputs);
        services.AddSingleton<ConfigurationReloader>();
        services.AddHostedService(provider => provider.GetRequiredService<ConfigurationReloader>());
        services.AddHostedService(provider => provider.GetRequiredService<StoreSync>());
        configureServices?.Invoke(services);

        var app = builder.Build();
        app.Services.GetRequiredService<StoreSync>().ReloadAsync().GetAwaiter().GetResult();
        app.UseRequestId();
        app.UseMetricsPort(options);
        app.UseErrorGuard(options);
        app.UseRouting();
        app.UseRequestTracing(options);
        app.UseCrossSiteGuard(options);
        app.UseKeyAuthentication(options, app.Services.GetRequiredService<KeyCache>(), app.Services.GetRequiredService<RequestRecorder>(),
            app.Services.GetRequiredService<TimeProvider>());
        app.MapHealthApi();
        app.MapMetricsApi(options);
        // The admin surface's description (no secrets in it), readable without a key like the health checks.
        app.MapOpenApi().AllowAnonymous();
        // An interactive reference over that document, its script served from the package (no CDN, works offline).
        app.MapScalarApiReference("/reference", reference => reference.WithTitle("Switchboard API")).AllowAnonymous();
        app.MapWebConsole();
        app.MapAdminApi();
        app.MapBillingApi();
        app.MapOpenAiApi();
        LogLifecycle(app, options);
        return app;
    }

    private static void LogLifecycle(WebApplication app, GatewayOptions options)
    {
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Switchboard");
        Log.Starting(logger, options.Providers.Count, options.Models.Count, options.DataDirectory);
        Log.StoreOpened(logger, options.Storage.PostgresConnectionString is null ? $"SQLite {options.Storage.SqlitePath}" : "PostgreSQL");
        LogLocalModels(logger, options);
        if (DescriptorLimit.Read() is { } descriptors && options.Limits.MaxConnections > DescriptorLimit.ConnectionsFor(descriptors))
            Log.ConnectionsAboveDescriptorLimit(logger, options.Limits.MaxConnections, descriptors);
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            Log.Listening(logger, string.Join(", ", app.Urls));
            if (options.MasterKey is null && !app.Services.GetRequiredService<KeyCache>().HasProjectKeys) Log.OpenMode(logger);
        });
        app.Lifetime.ApplicationStopping.Register(() => Log.Stopping(logger, options.ShutdownTimeout.TotalSeconds));
    }

    /// <summary>What the models directory holds: a file that cannot be served is named with the reason, and does not stop the gateway.</summary>
    private static void LogLocalModels(ILogger logger, GatewayOptions options)
    {
        var files = new ModelsDirectory(options.Local.ModelsDirectory).List();
        foreach (var (name, file) in files)
        {
            var info = ModelFileInfo.Read(name, file);
            if (info.Problem is not null) Log.LocalModelUnreadable(logger, LocalProvider.Prefix + name, info.Problem);
            else Log.LocalModelFound(logger, LocalProvider.Prefix + name, info.Architecture, info.Quantization, info.ContextLength);
        }
        if (files.Count == 0 && options.Providers.Count == 0) Log.NothingToServe(logger, options.Local.ModelsDirectory);
    }
}
