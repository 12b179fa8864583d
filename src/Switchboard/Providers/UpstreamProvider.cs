using System.Collections.Concurrent;
using System.Net.Http.Headers;
using System.Text.RegularExpressions;
using Switchboard.Configuration;
using Switchboard.Resilience;

namespace Switchboard.Providers;

/// <summary>
/// One configured upstream: its connection pool, its circuit breaker, and how to address it.
/// URLs are built only from configuration; a client's input never picks the host or the path prefix, and an
/// Azure deployment name taken from a client's model must be a plain name (letters, digits, <c>.</c>, <c>_</c>, <c>-</c>).
/// </summary>
public sealed partial class UpstreamProvider : Provider
{
    private readonly HttpMessageInvoker _client;
    private readonly string _baseUrl;
    private readonly ConcurrentDictionary<string, Uri> _urls = new(StringComparer.Ordinal);

    public UpstreamProvider(ProviderOptions options, TimeProvider time) : base(options.Name, new CircuitBreaker(options.CircuitBreaker, time))
    {
        Options = options;
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

    public ProviderOptions Options { get; }
    public HttpMessageInvoker Client => _client;

    /// <summary>Azure's rule for deployment names, which also keeps a name from changing the URL it is put in.</summary>
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")]
    public static partial Regex DeploymentName();

    /// <summary>Builds the upstream request for an API path such as <c>chat/completions</c>, or null when the model cannot be addressed here.</summary>
    public HttpRequestMessage? CreateRequest(HttpMethod method, string apiPath, string upstreamModel, HttpContent? content)
    {
        Uri url;
        if (Options.Kind == ProviderKind.Azure)
        {
            if (!DeploymentName().IsMatch(upstreamModel)) return null;
            url = new Uri($"{_baseUrl}/openai/deployments/{upstreamModel}/{apiPath}?api-version={Uri.EscapeDataString(Options.ApiVersion!)}");
        }
        else
        {
            url = _urls.GetOrAdd(apiPath, static (path, baseUrl) => new Uri($"{baseUrl}/{path}"), _baseUrl);
        }
        return Authorize(new HttpRequestMessage(method, url) { Content = content });
    }

    public HttpRequestMessage CreateListModelsRequest() => Authorize(new HttpRequestMessage(HttpMethod.Get, Options.Kind == ProviderKind.Azure
        ? $"{_baseUrl}/openai/models?api-version={Uri.EscapeDataString(Options.ApiVersion!)}"
        : $"{_baseUrl}/models"));

    private HttpRequestMessage Authorize(HttpRequestMessage request)
    {
        request.Version = System.Net.HttpVersion.Version11;
        var headers = request.Headers;
        if (!string.IsNullOrEmpty(Options.ApiKey))
        {
            if (Options.Kind == ProviderKind.Azure) headers.TryAddWithoutValidation("api-key", Options.ApiKey);
            else headers.Authorization = new AuthenticationHeaderValue("Bearer", Options.ApiKey);
        }
        if (!string.IsNullOrEmpty(Options.Organization)) headers.TryAddWithoutValidation("OpenAI-Organization", Options.Organization);
        return request;
    }

    /// <summary>The name this provider knows a model by: for Azure, its deployment.</summary>
    public string UpstreamName(string model) =>
        Options.Kind == ProviderKind.Azure && Options.Deployments.TryGetValue(model, out var deployment) ? deployment : model;

    protected override void Dispose(bool disposing)
    {
        if (disposing) _client.Dispose();
        base.Dispose(disposing);
    }
}
