using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Switchboard.Tests.Fuzz;

/// <summary>A response read off a raw socket: status, headers, and the body decoded from its framing.</summary>
internal sealed record RawResponse(int Status, List<(string Name, string Value)> Headers, byte[] Body)
{
    public string? Header(string name) => Headers.LastOrDefault(h => h.Name.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;

    public string? MediaType => Header("Content-Type")?.Split(';')[0].Trim();
}

/// <summary>HTTP/1.1 over a bare socket, so requests reach the gateway exactly as written.</summary>
internal static class RawHttp
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    /// <summary>The first final response on the connection, or null when it closes before one.</summary>
    public static async Task<RawResponse?> SendAsync(int port, byte[] request, bool halfClose, bool isHead, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        using var client = new TcpClient { NoDelay = true };
        await client.ConnectAsync(IPAddress.Loopback, port, timeout.Token);
        var stream = client.GetStream();
        try
        {
            await stream.WriteAsync(request, timeout.Token);
            if (halfClose) client.Client.Shutdown(SocketShutdown.Send);
        }
        catch (IOException)
        {
            // The server may answer and close before reading all of a request it refuses; its answer is still there to read.
        }
        var reader = new ResponseReader(stream, timeout.Token);
        while (true)
        {
            var statusLine = await reader.ReadLineAsync();
            if (statusLine is null) return null;
            var parts = statusLine.Split(' ', 3);
            if (parts.Length < 2 || !parts[0].StartsWith("HTTP/1.", StringComparison.Ordinal) || !int.TryParse(parts[1], out var status))
                throw new InvalidDataException($"not an HTTP status line: {statusLine}");
            var headers = new List<(string, string)>();
            while (await reader.ReadLineAsync() is { Length: > 0 } line)
            {
                var colon = line.IndexOf(':', StringComparison.Ordinal);
                headers.Add((line[..colon].Trim(), line[(colon + 1)..].Trim()));
            }
            if (status is >= 100 and < 200) continue;
            var response = new RawResponse(status, headers, []);
            if (isHead || status is 204 or 304) return response;
            if (response.Header("Transfer-Encoding")?.Contains("chunked", StringComparison.OrdinalIgnoreCase) == true)
                return response with { Body = await reader.ReadChunkedAsync() };
            if (response.Header("Content-Length") is { } length) return response with { Body = await reader.ReadExactlyAsync(int.Parse(length, CultureInfo.InvariantCulture)) };
            return response with { Body = await reader.ReadToEndAsync() };
        }
    }

    private sealed class ResponseReader(NetworkStream stream, CancellationToken cancellationToken)
    {
        private readonly byte[] _buffer = new byte[16 * 1024];
        private int _start;
        private int _end;

        private async Task<bool> FillAsync()
        {
            if (_start == _end) _start = _end = 0;
            if (_end == _buffer.Length)
            {
                Array.Copy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            int read;
            try
            {
                read = await stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            }
            catch (IOException) when (_start == _end)
            {
                read = 0;    // a reset after everything was sent is an end, not a lost answer
            }
            _end += read;
            return read > 0;
        }

        public async Task<string?> ReadLineAsync()
        {
            var line = new List<byte>();
            while (true)
            {
                var at = _buffer.AsSpan(_start, _end - _start).IndexOf((byte)'\n');
                if (at >= 0)
                {
                    line.AddRange(_buffer.AsSpan(_start, at).ToArray());
                    _start += at + 1;
                    return Encoding.UTF8.GetString([.. line]).TrimEnd('\r');
                }
                line.AddRange(_buffer.AsSpan(_start, _end - _start).ToArray());
                _start = _end;
                if (!await FillAsync()) return line.Count == 0 ? null : throw new IOException("the connection closed inside a line");
            }
        }

        public async Task<byte[]> ReadExactlyAsync(int count)
        {
            var result = new byte[count];
            var have = 0;
            while (have < count)
            {
                if (_start == _end && !await FillAsync()) throw new IOException($"the connection closed after {have} of {count} body bytes");
                var take = Math.Min(count - have, _end - _start);
                Array.Copy(_buffer, _start, result, have, take);
                _start += take;
                have += take;
            }
            return result;
        }

        public async Task<byte[]> ReadChunkedAsync()
        {
            var body = new List<byte>();
            while (true)
            {
                var sizeLine = await ReadLineAsync() ?? throw new IOException("the connection closed inside a chunked body");
                var size = int.Parse(sizeLine.Split(';')[0], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                if (size == 0)
                {
                    while (await ReadLineAsync() is { Length: > 0 }) { }
                    return [.. body];
                }
                body.AddRange(await ReadExactlyAsync(size));
                await ReadLineAsync();
            }
        }

        public async Task<byte[]> ReadToEndAsync()
        {
            var body = new List<byte>();
            do
            {
                body.AddRange(_buffer.AsSpan(_start, _end - _start).ToArray());
                _start = _end;
            }
            while (await FillAsync());
            return [.. body];
        }
    }
}
