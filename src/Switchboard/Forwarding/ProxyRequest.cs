using System.Text.Json;
using Switchboard.Api;

namespace Switchboard.Forwarding;

/// <summary>A client request that parsed and validated: the JSON as sent, plus the fields routing and streaming need.</summary>
internal sealed class ProxyRequest(ApiEndpoint endpoint, JsonDocument document, string model, bool stream, bool clientWantsUsage) : IDisposable
{
    public ApiEndpoint Endpoint { get; } = endpoint;
    public JsonDocument Document { get; } = document;
    public string Model { get; } = model;
    public bool Stream { get; } = stream;
    /// <summary>Whether the client itself asked for <c>stream_options.include_usage</c> (the gateway always asks upstream).</summary>
    public bool ClientWantsUsage { get; } = clientWantsUsage;

    public void Dispose() => Document.Dispose();
}
