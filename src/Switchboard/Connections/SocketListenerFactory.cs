using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Switchboard.Logging;

namespace Switchboard.Connections;

/// <summary>
/// Kestrel's socket transport with an accept loop of our own. Kestrel's retries a failed accept at once, so when
/// the process runs out of file descriptors (a flood of idle connections) it spins on EMFILE, allocating an
/// exception per turn, until the process dies. This one pauses accepting for a moment instead, as nginx does,
/// and carries on when descriptors are free again; connections wait in the kernel's backlog meanwhile.
/// Registered after Kestrel's own factory, so Kestrel binds with this one.
/// </summary>
internal sealed class SocketListenerFactory(SocketConnectionContextFactory contexts, TimeProvider time, ILogger<SocketListenerFactory> logger)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector, IDisposable
{
    private const int Backlog = 512;

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint or UnixDomainSocketEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, endpoint is UnixDomainSocketEndPoint ? ProtocolType.Unspecified : ProtocolType.Tcp);
        try
        {
            // Kestrel binds the IPv6 wildcard to serve IPv4 as well.
            if (endpoint is IPEndPoint ip && ip.Address.Equals(IPAddress.IPv6Any)) socket.DualMode = true;
            socket.Bind(endpoint);
            socket.Listen(Backlog);
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            socket.Dispose();
            throw new AddressInUseException(e.Message, e);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        return new ValueTask<IConnectionListener>(new SocketListener(socket, contexts, time, logger));
    }

    public void Dispose() => contexts.Dispose();
}

internal sealed class SocketListener(Socket socket, SocketConnectionContextFactory contexts, TimeProvider time, ILogger logger) : IConnectionListener
{
    /// <summary>How long accepting pauses when descriptors run out (nginx pauses 500 ms).</summary>
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(100);
    private bool _exhausted;

    public EndPoint EndPoint { get; } = socket.LocalEndPoint!;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            Socket accepted;
            try
            {
                accepted = await socket.AcceptAsync(cancellationToken);
            }
            catch (Exception e) when (e is ObjectDisposedException || e is SocketException { SocketErrorCode: SocketError.OperationAborted })
            {
                return null;    // unbound: the accept loop ends
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.TooManyOpenSockets)
            {
                if (!_exhausted) Log.DescriptorsExhausted(logger, Pause.TotalMilliseconds);
                _exhausted = true;
                try
                {
                    await Task.Delay(Pause, time, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
                continue;
            }
            catch (SocketException)
            {
                continue;    // reset while it waited in the backlog
            }
            if (_exhausted)
            {
                _exhausted = false;
                Log.DescriptorsAvailable(logger);
            }
            if (accepted.LocalEndPoint is IPEndPoint) accepted.NoDelay = true;
            return contexts.Create(accepted);
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        socket.Dispose();
        return default;
    }

    public ValueTask DisposeAsync()
    {
        socket.Dispose();
        return default;
    }
}
