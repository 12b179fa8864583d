using System.Net;
using System.Net.Http.Headers;
using System.Text.Encodings.Web;
using System.Text.Json;
using Switchboard.Json;

namespace Switchboard.Requests;

/// <summary>
/// The body sent upstream: the client's bytes as they arrived, with <c>model</c> set to the provider's name for it
/// and — on streams that carry usage — <c>stream_options.include_usage</c> forced on so every stream can be
/// metered. Both are splices written between slices of the client's buffer, so a body is neither copied nor
/// re-encoded on its way upstream, and fields the gateway does not know pass byte for byte.
/// </summary>
internal sealed class UpstreamContent : HttpContent
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private static readonly byte[] ForcedStreamOptions = "{\"include_usage\":true}"u8.ToArray();
    private static readonly byte[] InsertedStreamOptions = "\"stream_options\":{\"include_usage\":true}"u8.ToArray();
    private static readonly byte[] InsertedStreamOptionsAndComma = "\"stream_options\":{\"include_usage\":true},"u8.ToArray();
    private readonly ReadOnlyMemory<byte>[] _segments;
    private readonly long _length;

    private UpstreamContent(ReadOnlyMemory<byte>[] segments)
    {
        _segments = segments;
        foreach (var segment in segments) _length += segment.Length;
        Headers.ContentType = Json;
    }

    /// <summary>The edits a request needs for a provider that knows its model as <paramref name="upstreamModel"/>; built once per provider, not per attempt.</summary>
    public static JsonEdit[] EditsFor(ProxyRequest request, string upstreamModel)
    {
        var forcesUsage = request.Stream && request.Endpoint.HasUsageStream;
        var keepsModel = request.ModelProperty.Exists && upstreamModel == request.Model && !request.ModelDefaulted;
        if (keepsModel && !forcesUsage) return [];
        var json = request.Body.WrittenSpan;
        // The usual stream: one constant insertion, followed by a comma because the body has a model property at least.
        if (keepsModel && !request.StreamOptions.Exists)
            return [new JsonEdit(request.ObjectStart + 1, request.ObjectStart + 1, InsertedStreamOptionsAndComma)];
        var edits = new List<JsonEdit>(3);
        var inserted = new List<byte>();
        if (!request.ModelProperty.Exists)
            Append(inserted, "\"model\":"u8, Quoted(upstreamModel));
        else if (upstreamModel != request.Model || request.ModelDefaulted)
            edits.Add(new JsonEdit(request.ModelProperty.ValueStart, request.ModelProperty.End, Quoted(upstreamModel)));
        if (forcesUsage)
        {
            var options = request.StreamOptions;
            if (!options.Exists)
                Append(inserted, InsertedStreamOptions, default);
            else
                edits.Add(new JsonEdit(options.ValueStart, options.End, options.Kind == JsonTokenType.StartObject ? WithUsage(json[options.ValueStart..options.End]) : ForcedStreamOptions));
        }
        if (inserted.Count > 0)
        {
            // Inserted right after the opening brace, and followed by a comma unless the object was empty.
            var insertAt = request.ObjectStart + 1;
            var next = json[insertAt..].IndexOfAnyExcept(" \t\r\n"u8);
            if (json[insertAt + next] != (byte)'}') inserted.Add((byte)',');
            edits.Add(new JsonEdit(insertAt, insertAt, inserted.ToArray()));
        }
        edits.Sort((a, b) => a.Start.CompareTo(b.Start));
        return [.. edits];
    }

    private static void Append(List<byte> inserted, ReadOnlySpan<byte> name, ReadOnlySpan<byte> value)
    {
        if (inserted.Count > 0) inserted.Add((byte)',');
        inserted.AddRange(name);
        inserted.AddRange(value);
    }

    public static UpstreamContent Create(ProxyRequest request, JsonEdit[] edits)
    {
        var body = request.Body.Written;
        var segments = new ReadOnlyMemory<byte>[2 * edits.Length + 1];
        var from = 0;
        var i = 0;
        foreach (var edit in edits)
        {
            segments[i++] = body[from..edit.Start];
            segments[i++] = edit.Replacement;
            from = edit.End;
        }
        segments[i] = body[from..];
        return new UpstreamContent(segments);
    }

    /// <summary>The client's stream options with every <c>include_usage</c> replaced by one that is true.</summary>
    private static byte[] WithUsage(ReadOnlySpan<byte> options)
    {
        var output = new List<byte>(options.Length + 24) { (byte)'{' };
        var scanner = new JsonObjectScanner(options);
        scanner.TryReadStart();
        while (scanner.MoveNext())
        {
            var isInclude = scanner.NameIs("include_usage"u8);
            var property = scanner.ReadValue();
            if (isInclude) continue;
            output.AddRange(options[property.Start..property.End]);
            output.Add((byte)',');
        }
        output.AddRange("\"include_usage\":true}"u8);
        return [.. output];
    }

    private static byte[] Quoted(string value) =>
        [(byte)'"', .. JsonEncodedText.Encode(value, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes, (byte)'"'];

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) => SerializeToStreamAsync(stream, context, default);

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        foreach (var segment in _segments)
        {
            if (!segment.IsEmpty) await stream.WriteAsync(segment, cancellationToken);
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = _length;
        return true;
    }
}
