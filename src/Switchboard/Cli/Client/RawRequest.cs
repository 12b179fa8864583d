using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Switchboard.Cli.Client;

/// <summary>
/// A JSON request the SDK has no typed method for (the Administration API, billing), sent through the SDK's own
/// pipeline: its authentication, retries and error type, so failures read like every other command's.
/// </summary>
internal static class RawRequest
{
    public static async Task<JsonElement> SendAsync(Connection connection, bool admin, string method, string pathAndQuery, JsonNode? body,
        CancellationToken cancellationToken)
    {
        var pipeline = connection.Client(admin).Pipeline;
        using var message = pipeline.CreateMessage();
        message.Request.Method = method;
        message.Request.Uri = new Uri(connection.BaseUrl.AbsoluteUri.TrimEnd('/') + pathAndQuery);
        if (body is not null)
        {
            message.Request.Headers.Set("Content-Type", "application/json");
            message.Request.Content = BinaryContent.Create(BinaryData.FromString(body.ToJsonString()));
        }
        message.Apply(new RequestOptions { CancellationToken = cancellationToken });
        await pipeline.SendAsync(message);
        var response = message.Response!;
        if (response.IsError) throw new ClientResultException(response);
        using var document = JsonDocument.Parse(response.Content.ToMemory());
        return document.RootElement.Clone();
    }
}
