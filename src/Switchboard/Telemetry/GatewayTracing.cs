using System.Diagnostics;
using OpenTelemetry.Exporter;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Switchboard.Api;
using Switchboard.Configuration;
using Switchboard.Metering;

namespace Switchboard.Telemetry;

/// <summary>
/// OpenTelemetry spans for model requests, exported over OTLP when <c>Switchboard:Tracing:OtlpEndpoint</c> is set:
/// one server span per request (named like the GenAI conventions, <c>chat MODEL</c>) with children for authentication,
/// admission, each upstream attempt and the relay. Off (the default), nothing listens to <see cref="Source"/>, no span is
/// made and the request middleware is not installed. Spans carry names, models, tokens and statuses, never prompt text
/// or keys.
/// </summary>
internal static class GatewayTracing
{
    public const string SourceName = "Switchboard";

    public static readonly ActivitySource Source = new(SourceName);

    public static IServiceCollection AddGatewayTracing(this IServiceCollection services, GatewayOptions options)
    {
        if (options.Tracing.OtlpEndpoint is not { } endpoint) return services;
        services.AddOpenTelemetry().ConfigureResource(resource => resource.AddService("switchboard")).WithTracing(tracing => tracing
            .AddSource(SourceName)
            .AddOtlpExporter(otlp =>
            {
                // Set in code, the endpoint is used as given: over HTTP the signal's path is ours to add.
                otlp.Endpoint = options.Tracing.Grpc || endpoint.AbsolutePath.EndsWith("/v1/traces", StringComparison.Ordinal)
                    ? endpoint
                    : new Uri(endpoint, endpoint.AbsolutePath.TrimEnd('/') + "/v1/traces");
                otlp.Protocol = options.Tracing.Grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
            }));
        return services;
    }

    /// <summary>The request's span around everything after routing, for the forwarded operations; only with tracing on.</summary>
    public static IApplicationBuilder UseRequestTracing(this IApplicationBuilder app, GatewayOptions options)
    {
        if (options.Tracing.OtlpEndpoint is null) return app;
        return app.Use(async (context, next) =>
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<ApiEndpoint>() is not { } operation)
            {
                await next(context);
                return;
            }
            // A client's own trace (W3C traceparent) is continued; otherwise the span starts a trace. ASP.NET Core's
            // request activity, current here when anything listens to the framework, is not recorded: as the parent
            // (what StartActivity takes without an explicit one) it would get ours sampled out.
            var hosting = Activity.Current;
            if (!ActivityContext.TryParse(context.Request.Headers.TraceParent, context.Request.Headers.TraceState, isRemote: true, out var caller))
                Activity.Current = null;
            var span = Source.StartActivity(Operation(operation.Path), ActivityKind.Server, caller);
            try
            {
                span?.SetTag("gen_ai.operation.name", Operation(operation.Path));
                span?.SetTag("http.request.method", context.Request.Method);
                span?.SetTag("url.path", context.Request.Path.Value);
                span?.SetTag("switchboard.request_id", context.TraceIdentifier);
                await next(context);
                if (span is null) return;
                span.SetTag("http.response.status_code", context.Response.StatusCode);
                if (context.Response.StatusCode >= 500) span.SetStatus(ActivityStatusCode.Error);
            }
            catch (Exception e) when (span is not null)
            {
                // The error guard answers it outside this span; the span says it failed and how.
                span.SetStatus(ActivityStatusCode.Error);
                span.SetTag("error.type", e.GetType().FullName);
                throw;
            }
            finally
            {
                span?.Dispose();
                Activity.Current = hosting;
            }
        });
    }

    /// <summary>The request's span, when tracing made one: its name gains the model once the body is read.</summary>
    public static Activity? RequestSpan
    {
        get
        {
            for (var span = Activity.Current; span is not null; span = span.Parent)
            {
                if (span.Source == Source && span.Kind == ActivityKind.Server) return span;
            }
            return null;
        }
    }

    /// <summary>A child of the request's span; none when the request has no span (tracing off, or not a model request).</summary>
    public static Activity? StartChild(string name, ActivityKind kind = ActivityKind.Internal) => RequestSpan is null ? null : Source.StartActivity(name, kind);

    /// <summary>What the request came to, on its span: provider, model served, tokens, status.</summary>
    public static void Settled(in RequestRecord record, Usage usage, long costMicros)
    {
        if (RequestSpan is not { } span) return;
        span.DisplayName = $"{Operation(record.Endpoint)} {record.Model}";
        span.SetTag("gen_ai.request.model", record.Model);
        span.SetTag("gen_ai.provider.name", record.Provider);
        span.SetTag("gen_ai.response.model", record.ServedModel);
        span.SetTag("gen_ai.usage.input_tokens", usage.PromptTokens);
        span.SetTag("gen_ai.usage.output_tokens", usage.CompletionTokens);
        span.SetTag("switchboard.cost_micros", costMicros);
        span.SetTag("switchboard.status", record.Status);
    }

    /// <summary>The GenAI conventions' operation names for the endpoints that have one; the path for the rest.</summary>
    internal static string Operation(string endpoint) => endpoint switch
    {
        "chat/completions" => "chat",
        "completions" => "text_completion",
        "embeddings" => "embeddings",
        "images/generations" => "generate_content",
        _ => endpoint,
    };
}
