using System.Buffers;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace Switchboard.LocalModels;

/// <summary>How far a download is: bytes on disk, and the file's size when the server says it.</summary>
internal readonly record struct DownloadProgress(long Received, long? Total);

/// <summary>What a download came to, as a value.</summary>
internal abstract record DownloadResult;

/// <summary>The file is in place; <paramref name="Verified"/> says whether a known SHA-256 was checked.</summary>
internal sealed record Downloaded(string File, long Bytes, string Sha256, bool Verified) : DownloadResult;

/// <summary>Nothing was put in place; <paramref name="Message"/> says why and what to do.</summary>
internal sealed record DownloadFailed(string Message) : DownloadResult;

/// <summary>
/// Downloads a model file: to <c>NAME.gguf.part</c> beside the destination, resuming with an HTTP <c>Range</c>
/// request after a broken connection (within this run, and in the next run of the same command), verifying the
/// SHA-256 (the caller's, else the server's <c>X-Linked-ETag</c>, which Hugging Face sends on its redirect), and
/// renaming into place only when complete, so a models directory never holds a half file under a model's name.
/// </summary>
internal sealed class ModelDownloader(HttpMessageInvoker http)
{
    private const int MaxRedirects = 5;
    private const int MaxAttempts = 5;
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(60);

    /// <summary>An invoker that leaves redirects to the downloader (to see the headers of every hop).</summary>
    public static HttpMessageInvoker CreateClient() => new(new SocketsHttpHandler
    {
        AllowAutoRedirect = false,
        ConnectTimeout = TimeSpan.FromSeconds(30),
        AutomaticDecompression = DecompressionMethods.None,
    });

    public async Task<DownloadResult> DownloadAsync(Uri url, string destination, string? expectedSha256, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        var partial = destination + ".part";
        string? announcedSha256 = null;
        long? total = null;
        for (var attempt = 1; ; attempt++)
        {
            var offset = File.Exists(partial) ? new FileInfo(partial).Length : 0;
            var (response, linkedSha256, error) = await SendAsync(url, offset, cancellationToken);
            if (response is null) return new DownloadFailed(error!);
            announcedSha256 ??= linkedSha256;
            using (response)
            {
                if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && offset > 0)
                {
                    // The part is whole only if it is exactly the file's length; longer, it is some other file's: start over.
                    if (response.Content.Headers.ContentRange?.Length == offset) break;
                    File.Delete(partial);
                    continue;
                }
                if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.PartialContent))
                    return new DownloadFailed($"{Redacted(url)} answered {(int)response.StatusCode} {response.ReasonPhrase}.");
                if (response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From != offset)
                {
                    // Some other range than the one asked for: nothing here can be joined to the part.
                    File.Delete(partial);
                    continue;
                }
                if (response.StatusCode == HttpStatusCode.OK) offset = 0;   // the server ignored the range: the file from its start
                total = response.Content.Headers.ContentRange?.Length ?? response.Content.Headers.ContentLength + offset;
                try
                {
                    var received = await CopyAsync(response, partial, offset, total, progress, cancellationToken);
                    if (total is { } expected && received != expected) throw new IOException($"the connection closed after {received} of {expected} bytes");
                    break;
                }
                catch (Exception e) when (e is IOException or HttpRequestException or TimeoutException && !cancellationToken.IsCancellationRequested)
                {
                    if (attempt == MaxAttempts)
                        return new DownloadFailed($"the download broke off {MaxAttempts} times ({e.Message}); run the same command again to resume from {new FileInfo(partial).Length} bytes.");
                }
            }
        }

        var sha256 = await HashAsync(partial, cancellationToken);
        var wanted = expectedSha256 ?? announcedSha256;
        if (wanted is not null && !string.Equals(wanted, sha256, StringComparison.OrdinalIgnoreCase))
        {
            File.Delete(partial);
            return new DownloadFailed($"checksum mismatch: expected SHA-256 {wanted.ToLowerInvariant()}, the download has {sha256}; the partial file was removed.");
        }
        var bytes = new FileInfo(partial).Length;
        File.Move(partial, destination, overwrite: true);
        return new Downloaded(destination, bytes, sha256, wanted is not null);
    }

    /// <summary>GET from <paramref name="offset"/>, following redirects by hand; the SHA-256 any hop announced.</summary>
    private async Task<(HttpResponseMessage? Response, string? Sha256, string? Error)> SendAsync(Uri url, long offset, CancellationToken cancellationToken)
    {
        string? sha256 = null;
        for (var hop = 0; hop <= MaxRedirects; hop++)
        {
            if (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp)
                return (null, null, $"'{Redacted(url)}' is not an http(s) address.");
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.UserAgent.Add(new ProductInfoHeaderValue("switchboard", typeof(ModelDownloader).Assembly.GetName().Version?.ToString(3)));
            if (offset > 0) request.Headers.Range = new RangeHeaderValue(offset, null);
            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, cancellationToken);
            }
            catch (HttpRequestException e)
            {
                return (null, null, $"could not reach {url.Host}: {e.Message}");
            }
            sha256 ??= LinkedSha256(response);
            if ((int)response.StatusCode is >= 300 and < 400 && response.Headers.Location is { } location)
            {
                response.Dispose();
                var next = new Uri(url, location);
                // An https download stays https: a redirect to plain http would let anyone on the path supply the file.
                if (url.Scheme == Uri.UriSchemeHttps && next.Scheme != Uri.UriSchemeHttps)
                    return (null, null, $"{Redacted(url)} redirected to an insecure address ({Redacted(next)}).");
                url = next;
                continue;
            }
            return (response, sha256, null);
        }
        return (null, null, $"more than {MaxRedirects} redirects from {Redacted(url)}.");
    }

    /// <summary>Hugging Face's <c>X-Linked-ETag</c> carries the SHA-256 of an LFS file (quoted).</summary>
    private static string? LinkedSha256(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("X-Linked-ETag", out var values)) return null;
        var value = values.First().Trim().Trim('"');
        if (value.StartsWith("W/", StringComparison.Ordinal)) value = value[2..].Trim('"');
        return value.Length == 64 && value.All(char.IsAsciiHexDigit) ? value.ToLowerInvariant() : null;
    }

    private static async Task<long> CopyAsync(HttpResponseMessage response, string partial, long offset, long? total, IProgress<DownloadProgress>? progress, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(partial, offset > 0 ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = ArrayPool<byte>.Shared.Rent(1 << 20);
        try
        {
            var received = offset;
            progress?.Report(new DownloadProgress(received, total));
            while (true)
            {
                int read;
                using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    // A server that stops sending is a broken download, to be resumed, not a hang.
                    timeout.CancelAfter(ReadTimeout);
                    try
                    {
                        read = await body.ReadAsync(buffer, timeout.Token);
                    }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                    {
                        throw new TimeoutException($"no data for {ReadTimeout.TotalSeconds:0} s");
                    }
                }
                if (read == 0) return received;
                await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                received += read;
                progress?.Report(new DownloadProgress(received, total));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    private static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, useAsync: true);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(file, cancellationToken));
    }

    /// <summary>An address as shown to the user: without credentials or query (signed CDN links carry tokens there).</summary>
    private static string Redacted(Uri url) => url.GetLeftPart(UriPartial.Path);
}
