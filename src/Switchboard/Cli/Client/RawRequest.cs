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
        using var message = await SendMessageAsync(connection, admin, method, pathAndQuery, body, buffer: true, cancellationToken);
        using var document = JsonDocument.Parse(message.Response!.Content.ToMemory());
        return document.RootElement.Clone();
    }

    /// <summary>
    /// Sends the request and returns its message once the answer has started (or, buffered, arrived); an error status
    /// is thrown as the SDK throws it. The caller disposes the message, which closes an unbuffered answer's stream.
    /// </summary>
    public static async Task<PipelineMessage> SendMessageAsync(Connection connection, bool admin, string method, string pathAndQuery, JsonNode? body,
        bool buffer, CancellationToken cancellationToken)
    {
        var pipeline = connection.Client(admin).Pipeline;
        var message = pipeline.CreateMessage();
        try
        {
            message.Request.Method = method;
            message.Request.Uri = new Uri(connection.BaseUrl.AbsoluteUri.TrimEnd('/') + pathAndQuery);
            if (body is not null)
            {
                message.Request.Headers.Set("Content-Type", "application/json");
                message.Request.Content = BinaryContent.Create(BinaryData.FromString(body.ToJsonString()));
            }
            message.BufferResponse = buffer;
            message.Apply(new RequestOptions { CancellationToken = cancellationToken });
            await pipeline.SendAsync(message);
            if (message.Response!.IsError) throw new ClientResultException(message.Response);
            return message;
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }
}
