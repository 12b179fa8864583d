using System.ClientModel;
using System.ClientModel.Primitives;
using OpenAI;

namespace Switchboard.Cli.Client;

/// <summary>Where the CLI's calls go, with which key: the official SDK's client for it.</summary>
internal sealed record Connection(Uri BaseUrl, string? ApiKey, string? Organization, string? AdminKey)
{
    public const string DefaultBaseUrl = "http://127.0.0.1:8080/v1";

    /// <summary>How long a call may take: a local model on CPU can take minutes over a long answer.</summary>
    public static readonly TimeSpan Timeout = TimeSpan.FromMinutes(10);

    // A gateway in open mode ignores the key, but the SDK will not send a request without one.
    private const string NoKey = "sk-none";

    /// <summary>The SDK's client; <paramref name="admin"/> sends the master or admin key instead of the API key.</summary>
    public OpenAIClient Client(bool admin = false) => new(new ApiKeyCredential((admin ? AdminKey : ApiKey) ?? NoKey), new OpenAIClientOptions
    {
        Endpoint = BaseUrl,
        OrganizationId = Organization,
        UserAgentApplicationId = "switchboard-cli",
        // The SDK's own backoff (it honours retry-after), but a down gateway is reported within a few seconds.
        RetryPolicy = new ClientRetryPolicy(maxRetries: 2),
        NetworkTimeout = Timeout,
    });
}
