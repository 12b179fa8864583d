using System.IO.Compression;
using Switchboard.Buffers;
using Switchboard.Configuration;
using Switchboard.Errors;

namespace Switchboard.Requests;

/// <summary>
/// Reads a client's body into one buffer: decoded from its Content-Encoding (gzip, deflate, br), no larger than
/// <see cref="LimitOptions.MaxRequestBodyBytes"/> after decoding whether or not its length was announced, and
/// reserved against the <see cref="BufferBudget"/>. Every way this can fail is an OpenAI error value.
/// </summary>
internal static class RequestBodyReader
{
    public static async Task<(ByteBuffer? Body, OpenAiError? Error)> ReadAsync(HttpRequest request, LimitOptions limits, BufferBudget budget, CancellationToken cancellationToken)
    {
        var max = limits.MaxRequestBodyBytes;
        // Kestrel's own cut is set at startup; the limit in effect now (it may have been reloaded) is this request's.
        if (request.HttpContext.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            size.MaxRequestBodySize = max;
        var (encoding, encodingError) = ContentEncoding(request);
        if (encodingError is not null) return (null, encodingError);
        if (encoding is null && request.ContentLength > max) return (null, GatewayErrors.BodyTooLarge(max));

        var buffer = new ByteBuffer(budget, max);
        var body = encoding switch
        {
            null => request.Body,
            "gzip" or "x-gzip" => new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true),
            "deflate" => new ZLibStream(request.Body, CompressionMode.Decompress, leaveOpen: true),
            _ => new BrotliStream(request.Body, CompressionMode.Decompress, leaveOpen: true),
        };
        try
        {
            return await buffer.ReadToEndAsync(body, encoding is null ? request.ContentLength : null, cancellationToken) switch
            {
                GrowResult.Ok => (buffer, null),
                GrowResult.TooLarge => Fail(buffer, GatewayErrors.BodyTooLarge(max)),
                _ => Fail(buffer, GatewayErrors.Overloaded()),
            };
        }
        catch (BadHttpRequestException e)
        {
            return Fail(buffer, GatewayErrors.FromBadRequest(e, max));
        }
        catch (Exception e) when (encoding is not null && e is InvalidDataException or InvalidOperationException)
        {
            // Each decoder has its own way to say the data is not what the header claims (Brotli's is InvalidOperationException).
            return Fail(buffer, GatewayErrors.InvalidEncodedBody(encoding));
        }
        catch (IOException e) when (!cancellationToken.IsCancellationRequested)
        {
            return Fail(buffer, GatewayErrors.UnreadableBody(e.Message));    // e.g. chunked framing Kestrel cannot parse
        }
        catch
        {
            buffer.Dispose();
            throw;
        }
        finally
        {
            if (encoding is not null) await body.DisposeAsync();
        }
    }

    /// <summary>The one coding to undo (null for none), or the error for codings the gateway does not read.</summary>
    private static (string? Encoding, OpenAiError? Error) ContentEncoding(HttpRequest request)
    {
        var header = request.Headers.ContentEncoding;
        string? coding = null;
        foreach (var value in header)
        {
            foreach (var part in (value ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var name = part.ToLowerInvariant();
                if (name == "identity") continue;
                if (coding is not null || name is not ("gzip" or "x-gzip" or "deflate" or "br"))
                    return (null, GatewayErrors.UnsupportedEncoding(header.ToString()));
                coding = name;
            }
        }
        return (coding, null);
    }

    private static (ByteBuffer?, OpenAiError?) Fail(ByteBuffer buffer, OpenAiError error)
    {
        buffer.Dispose();
        return (null, error);
    }
}
