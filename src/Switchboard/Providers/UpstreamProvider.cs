using System.Net.Http.Headers;
using Switchboard.Configuration;
using Switchboard.Resilience;

namespace Switchboard.Providers;

/// <summary>
/// One configured upstream: its connection pool, its circuit breaker, and how to address it.
/// URLs are built only from configuration; a client's input never picks the host or the path prefix.
/// </summary>
public sealed class UpstreamProvider : IDisposable
{
    private readonly HttpMessageInvoker _client;
    private readonly string _baseUrl;

    public UpstreamProvider(ProviderOptions options, TimeProvider time)
    {
        Options = options;
        Breaker = new CircuitBreaker(options.CircuitBreaker, time);
        _baseUrl = options.BaseUrl.AbsoluteUri.TrimEnd('/');
        var handler = new SocketsHttpHandler
        {
            ConnectTimeout = options.Timeouts.Connect,
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            AllowAutoRedirect = false,
            UseCookies = false,
            UseProxy = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            MaxConnectionsPerServer = int.MaxValue,
        };
        // An invoker rather than HttpClient: timeouts are enforced per phase by the forwarder, and HttpClient's
        // own overall-timeout plumbing would cost a token source per request for nothing.
        _client = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    public string Name => Options.Name;
    public ProviderOptions Options { get; }
    public CircuitBreaker Breaker { get; }
    public HttpMessageInvoker Client => _client;

    /// <summary>Builds the upstream request for an API path such as <c>chat/completions</c>, or null when the model cannot be addressed safely.</summary>
    public HttpRequestMessage? CreateRequest(HttpMethod method, string apiPath, string upstreamModel, HttpContent? content)
    {
        string url;
        if (Options.Kind == ProviderKind.Azure)
        {
            if (!IsSafePathSegment(upstreamModel)) return null;
            url = $"{_baseUrl}/openai/deployments/{Uri.EscapeDataString(upstreamModel)}/{apiPath}?api-version={Uri.EscapeDataString(Options.ApiVersion!)}";
        }
        else
        {
            url = $"{_baseUrl}/{apiPath}";
        }
        var request = new HttpRequestMessage(method, url) { Content = content, Version = System.Net.HttpVersion.Version11 };
        var headers = request.Headers;
        if (!string.IsNullOrEmpty(Options.ApiKey))
        {
            if (Options.Kind == ProviderKind.Azure) headers.TryAddWithoutValidation("api-key", Options.ApiKey);
            else headers.Authorization = new AuthenticationHeaderValue("Bearer", Options.ApiKey);
        }
        if (!string.IsNullOrEmpty(Options.Organization)) headers.TryAddWithoutValidation("OpenAI-Organization", Options.Organization);
        return request;
    }

    public HttpRequestMessage CreateListModelsRequest()
    {
        var url = Options.Kind == ProviderKind.Azure
            ? $"{_baseUrl}/openai/models?api-version={Uri.EscapeDataString(Options.ApiVersion!)}"
            : $"{_baseUrl}/models";
        var request = CreateRequest(HttpMethod.Get, "models", "", null)!;
        request.RequestUri = new Uri(url);
        return request;
    }

    /// <summary>The name this provider knows a model by: for Azure, its deployment.</summary>
    public string UpstreamName(string model) =>
        Options.Kind == ProviderKind.Azure && Options.Deployments.TryGetValue(model, out var deployment) ? deployment : model;

    /// <summary>Whether this provider serves <paramref name="model"/> by its <c>Models</c> patterns.</summary>
    public bool Serves(string model) => MatchScore(model) >= 0;

    /// <summary>How specifically this provider claims <paramref name="model"/>: an exact name beats a longer prefix beats <c>*</c>; -1 when it does not.</summary>
    public int MatchScore(string model)
    {
        if (Options.Kind == ProviderKind.Azure && Options.Deployments.ContainsKey(model)) return int.MaxValue;
        var best = -1;
        foreach (var pattern in Options.Models)
        {
            if (pattern == model) return int.MaxValue;
            if (pattern.EndsWith('*') && model.StartsWith(pattern.AsSpan(0, pattern.Length - 1), StringComparison.Ordinal))
                best = Math.Max(best, pattern.Length - 1);
        }
        return best;
    }

    // Dot segments would be normalised away by Uri and let a model name climb out of /deployments/.
    private static bool IsSafePathSegment(string segment) =>
        segment.Length is > 0 and <= 256 && segment != "." && segment != ".." && !segment.Any(char.IsControl);

    public void Dispose() => _client.Dispose();
}
