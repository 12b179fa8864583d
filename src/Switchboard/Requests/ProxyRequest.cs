using Switchboard.Api;
using Switchboard.Buffers;
using Switchboard.Json;

namespace Switchboard.Requests;

/// <summary>
/// A client request that parsed and validated: its body exactly as sent (decoded from any Content-Encoding),
/// the fields routing and streaming need, and where in the body the fields the gateway rewrites are.
/// </summary>
internal sealed class ProxyRequest(ApiEndpoint endpoint, ByteBuffer body, string model, bool modelDefaulted, bool stream, bool clientWantsUsage,
    int objectStart, JsonPropertyRange modelProperty, JsonPropertyRange streamOptions) : IDisposable
{
    public ApiEndpoint Endpoint { get; } = endpoint;
    public ByteBuffer Body { get; } = body;
    public string Model { get; } = model;
    /// <summary>The model's price when the request arrived: what admission reserves by and the ledger charges.</summary>
    public Ledger.Price? Price { get; set; }
    /// <summary>Whether <see cref="Model"/> is the endpoint's default because the body's was absent, null or empty (so the body must be edited to name it).</summary>
    public bool ModelDefaulted { get; } = modelDefaulted;
    public bool Stream { get; } = stream;
    /// <summary>Whether the client itself asked for <c>stream_options.include_usage</c> (the gateway always asks upstream).</summary>
    public bool ClientWantsUsage { get; } = clientWantsUsage;
    /// <summary>The offset of the body's opening brace.</summary>
    public int ObjectStart { get; } = objectStart;
    /// <summary>The <c>model</c> property, when the client sent one.</summary>
    public JsonPropertyRange ModelProperty { get; } = modelProperty;
    /// <summary>The <c>stream_options</c> property, when the client sent one (an object or null).</summary>
    public JsonPropertyRange StreamOptions { get; } = streamOptions;
    /// <summary><c>max_completion_tokens</c>, else <c>max_tokens</c>, when the client sent a whole number.</summary>
    public int? MaxOutputTokens { get; init; }
    /// <summary><c>n</c>: how many choices each produce up to <see cref="MaxOutputTokens"/> (1 when absent).</summary>
    public int Choices { get; init; } = 1;

    public void Dispose() => Body.Dispose();
}
