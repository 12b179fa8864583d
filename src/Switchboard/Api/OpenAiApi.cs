using Microsoft.AspNetCore.Http.HttpResults;
using Switchboard.Errors;
using Switchboard.Forwarding;
using Switchboard.Routing;

namespace Switchboard.Api;

/// <summary>The OpenAI-compatible surface under <c>/v1</c>, and OpenAI's answers for every path and method it does not serve.</summary>
public static class OpenAiApi
{
    private static readonly string[] GetAndHead = [HttpMethods.Get, HttpMethods.Head];

    public static IEndpointRouteBuilder MapOpenAiApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1");
        MapForwarded(v1, "/chat/completions", ApiEndpoint.ChatCompletions);
        MapForwarded(v1, "/completions", ApiEndpoint.Completions);
        MapForwarded(v1, "/embeddings", ApiEndpoint.Embeddings);
        MapForwarded(v1, "/images/generations", ApiEndpoint.ImageGenerations);
        MapForwarded(v1, "/moderations", ApiEndpoint.Moderations);
        v1.MapMethods("/models", GetAndHead, ListModels);
        v1.MapMethods("/models/{**model}", GetAndHead, RetrieveModel);
        // Everything else, any method: a path we serve with another method gets 405 (204 for OPTIONS), the rest 404.
        app.MapFallback("{**path}", Unmatched);
        return app;
    }

    // A plain RequestDelegate over the singleton handler: no per-request service scope or parameter binding.
    private static void MapForwarded(RouteGroupBuilder group, string pattern, ApiEndpoint endpoint)
    {
        var handler = ((IEndpointRouteBuilder)group).ServiceProvider.GetRequiredService<ProxyHandler>();
        // The operation rides along as metadata, so a request refused before the handler is still recorded as one.
        group.MapPost(pattern, context => handler.HandleAsync(context, endpoint)).WithMetadata(endpoint);
    }

    private static async Task<Ok<ModelList>> ListModels(ModelCatalog catalog, CancellationToken cancellationToken) =>
        TypedResults.Ok(new ModelList(await catalog.ListAsync(cancellationToken)));

    private static async Task<Results<Ok<ModelEntry>, ErrorResult>> RetrieveModel(string model, ModelCatalog catalog, CancellationToken cancellationToken)
    {
        var entry = (await catalog.ListAsync(cancellationToken)).FirstOrDefault(m => m.Id == model);
        return entry is null ? new ErrorResult(GatewayErrors.ModelNotFound(model)) : TypedResults.Ok(entry);
    }

    private static IResult Unmatched(HttpContext context)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        var allowed = context.RequestServices.GetRequiredService<AllowedMethods>().For(path);
        if (allowed is null) return new ErrorResult(GatewayErrors.UnknownRoute(request.Method, path));
        if (HttpMethods.IsOptions(request.Method))
        {
            context.Response.Headers.Allow = allowed;
            return TypedResults.NoContent();
        }
        return new ErrorResult(GatewayErrors.MethodNotAllowed(request.Method, path, allowed));
    }
}
