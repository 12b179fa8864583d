using System.Net;
using System.Net.Sockets;
using Switchboard.Tests.Fixtures;

namespace Switchboard.Tests.Connections;

/// <summary>
/// Idle connections that never send a byte, more of them than the gateway has file descriptors: it must neither
/// die nor spin, and must serve again once they are gone. Run against <c>switchboard serve</c> in its own
/// process under a small <c>ulimit -n</c>.
/// </summary>
public sealed class ConnectionFloodTests
{
    private const int FileLimit = 1024;

    [LinuxFact(MinOpenFiles = FileLimit + 400)]
    public async Task A_flood_of_idle_connections_past_the_descriptor_limit_leaves_the_gateway_alive_and_serving()
    {
        await using var gateway = await GatewayProcess.StartAsync(new Dictionary<string, string>(), FileLimit);

        var flood = await OpenIdleConnectionsAsync(gateway.BaseUrl, FileLimit + 100);
        try
        {
            Assert.False(gateway.HasExited);
            // The gateway holds no more connections than its descriptors allow (the rest wait in the kernel's backlog).
            Assert.InRange(Directory.GetFiles($"/proc/{gateway.Pid}/fd").Length, 1, FileLimit - 64);
        }
        finally
        {
            foreach (var socket in flood) socket.Dispose();
        }

        using var http = new HttpClient { BaseAddress = new Uri(gateway.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);
        Assert.DoesNotContain(gateway.Output, line => line.Contains("crit:", StringComparison.Ordinal) || line.Contains("Exception", StringComparison.Ordinal));
    }

    [LinuxFact(MinOpenFiles = FileLimit + 400)]
    public async Task Running_out_of_descriptors_pauses_accepting_instead_of_spinning_or_dying()
    {
        // A connection limit above what the descriptors allow: the flood itself exhausts them.
        await using var gateway = await GatewayProcess.StartAsync(new Dictionary<string, string> { ["Limits:MaxConnections"] = "100000" }, FileLimit);
        using var http = new HttpClient { BaseAddress = new Uri(gateway.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/healthz")).StatusCode);    // the request path's code is loaded
        await gateway.WaitForLineAsync("MaxConnections is 100000, more than the open-file limit", TimeSpan.FromSeconds(10));

        var flood = await OpenIdleConnectionsAsync(gateway.BaseUrl, FileLimit + 100);
        try
        {
            await gateway.WaitForLineAsync("Out of file descriptors: accepting paused", TimeSpan.FromSeconds(30));
            Assert.False(gateway.HasExited);
        }
        finally
        {
            foreach (var socket in flood) socket.Dispose();
        }

        await gateway.WaitForLineAsync("File descriptors available again", TimeSpan.FromSeconds(30));
        using var fresh = new HttpClient { BaseAddress = new Uri(gateway.BaseUrl), Timeout = TimeSpan.FromSeconds(60) };
        Assert.Equal(HttpStatusCode.OK, (await fresh.GetAsync("/healthz")).StatusCode);
        Assert.False(gateway.HasExited);
    }

    /// <summary>Connects up to <paramref name="count"/> sockets that send nothing; stops early once the backlog is full (a connect times out).</summary>
    private static async Task<List<Socket>> OpenIdleConnectionsAsync(string baseUrl, int count)
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, new Uri(baseUrl).Port);
        var sockets = new List<Socket>(count);
        for (var i = 0; i < count; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            try
            {
                await socket.ConnectAsync(endpoint, timeout.Token);
            }
            catch (OperationCanceledException)
            {
                socket.Dispose();
                break;
            }
            sockets.Add(socket);
        }
        Assert.True(sockets.Count > FileLimit / 2, $"only {sockets.Count} connections opened");
        return sockets;
    }
}
