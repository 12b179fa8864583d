using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using Switchboard.Authentication;
using Switchboard.Configuration;

namespace Switchboard.Telemetry;

/// <summary>
/// <c>/metrics</c> in Prometheus's text format, through OpenTelemetry's exporter, on the gateway's own port. It is an
/// administration endpoint: the master key or an admin key, or (before either exists) loopback clients only.
/// </summary>
internal static class MetricsApi
{
    private const string RuntimeMeter = "System.Runtime";

    public static IServiceCollection AddGatewayMetrics(this IServiceCollection services, GatewayOptions options)
    {
        services.AddMetrics();
        services.AddSingleton(provider =>
        {
            var metrics = new GatewayMetrics(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
            metrics.Observe(provider.GetRequiredService<Providers.ProviderRegistry>(), provider.GetRequiredService<Ledger.LedgerWriter>(),
                provider.GetRequiredService<Admission.AdmissionGate>());
            return metrics;
        });
        if (options.Metrics.Enabled)
        {
            // Every scrape reads the instruments afresh: the exporter's default caches a scrape for 300 ms.
            // The runtime's own meter too (GC, allocation, thread pool, CPU): observable instruments read when scraped,
            // and one counter recorded per exception thrown.
            services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("switchboard")).WithMetrics(metrics => metrics
                .AddMeter(GatewayMetrics.MeterName, RuntimeMeter)
                .AddPrometheusExporter(prometheus => prometheus.ScrapeResponseCacheDurationMilliseconds = 0));
            // OpenTelemetry listens to every meter of the name in the process: this host exports its own meter's only,
            // and the runtime's, which is the process's.
            services.ConfigureOpenTelemetryMeterProvider((provider, metrics) =>
            {
                var own = provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
                metrics.AddView(instrument => ReferenceEquals(instrument.Meter.Scope, own) || instrument.Meter is { Name: RuntimeMeter, Scope: null }
                    ? null : MetricStreamConfiguration.Drop);
            });
        }
        return services;
    }

    public static IEndpointRouteBuilder MapMetricsApi(this IEndpointRouteBuilder app, GatewayOptions options)
    {
        if (!options.Metrics.Enabled) return app;
        var endpoint = app.MapPrometheusScrapingEndpoint("/metrics").WithMetadata(new AdminEndpointAttribute());
        if (options.Metrics.Url is { } url) endpoint.RequireHost($"*:{url.Port}");
        return app;
    }

    /// <summary>With a metrics address of its own, that port answers <c>/metrics</c> and nothing else (404, before routing).</summary>
    public static IApplicationBuilder UseMetricsPort(this IApplicationBuilder app, GatewayOptions options)
    {
        if (!options.Metrics.Enabled || options.Metrics.Url is not { } url) return app;
        var port = url.Port;
        return app.Use((context, next) =>
        {
            if (context.Connection.LocalPort != port || context.Request.Path.Equals("/metrics", StringComparison.OrdinalIgnoreCase)) return next(context);
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return Task.CompletedTask;
        });
    }
}
