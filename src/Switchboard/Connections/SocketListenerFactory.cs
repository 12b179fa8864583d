using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Transport.Sockets;
using Switchboard.Configuration;
using Switchboard.Logging;

namespace Switchboard.Connections;

/// <summary>
/// Kestrel's socket transport with an accept loop of our own, so that a flood of connections cannot exhaust the
/// process's file descriptors. Kestrel enforces its connection limit only after accepting (it accepts, then
/// closes), so a flood still takes a descriptor per connection faster than they are closed; and once
/// descriptors run out the runtime itself fails (an assembly or a thread cannot be loaded or started) and
/// Kestrel's own loop retries the failed accept at once, forever. Here at most
/// <see cref="LimitOptions.MaxConnections"/> connections are open: further ones wait in the kernel's backlog
/// until one closes. Should descriptors run out anyway (upstream connections, files), accepting pauses
/// briefly, as nginx does, instead of spinning. Registered after Kestrel's own factory, so Kestrel binds with this one.
/// </summary>
internal sealed class SocketListenerFactory(SocketConnectionContextFactory contexts, GatewayOptions options, TimeProvider time, ILogger<SocketListenerFactory> logger)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
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
        // The runtime starts its timer thread on first use; start it now, while descriptors are free, because the
        // pause after an exhausted accept needs it exactly when they are not.
        TimeProvider.System.CreateTimer(static _ => { }, null, TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan).Dispose();
        return new ValueTask<IConnectionListener>(new SocketListener(socket, contexts, options.Limits.MaxConnections, time, logger));
    }
}

internal sealed class SocketListener(Socket socket, SocketConnectionContextFactory contexts, int maxConnections, TimeProvider time, ILogger logger) : IConnectionListener
{
    /// <summary>How long accepting pauses when descriptors run out (nginx pauses 500 ms).</summary>
    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(100);
    private static readonly Action<object?> ReleaseSlot = static slots => ((SemaphoreSlim)slots!).Release();
    private readonly SemaphoreSlim _slots = new(maxConnections, maxConnections);
    // Kestrel accepts without a token and waits for the accept loop before closing connections: unbinding cancels
    // this, so a loop waiting for a free slot does not hold up shutdown.
    private readonly CancellationTokenSource _unbound = new();
    private bool _exhausted;

    public EndPoint EndPoint { get; } = socket.LocalEndPoint!;

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                if (!cancellationToken.CanBeCanceled)
                {
                    await _slots.WaitAsync(_unbound.Token);
                }
                else
                {
                    using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _unbound.Token);
                    await _slots.WaitAsync(stop.Token);
                }
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return null;
            }
            Socket accepted;
            try
            {
                accepted = await socket.AcceptAsync(cancellationToken);
            }
            catch (Exception e) when (e is ObjectDisposedException or OperationCanceledException || e is SocketException { SocketErrorCode: SocketError.OperationAborted })
            {
                _slots.Release();
                return null;    // unbound: the accept loop ends
            }
            catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted)
            {
                _slots.Release();
                continue;    // reset while it waited in the backlog
            }
            catch (SocketException e)
            {
                // Out of descriptors (EMFILE/ENFILE), or of kernel buffers: retrying at once would only spin.
                _slots.Release();
                if (e.SocketErrorCode == SocketError.TooManyOpenSockets && !_exhausted) Log.DescriptorsExhausted(logger, Pause.TotalMilliseconds);
                _exhausted |= e.SocketErrorCode == SocketError.TooManyOpenSockets;
                try
                {
                    await Task.Delay(Pause, time, _unbound.Token);
                }
                catch (Exception stopped) when (stopped is OperationCanceledException or ObjectDisposedException)
                {
                    return null;
                }
                continue;
            }
            if (_exhausted)
            {
                _exhausted = false;
                Log.DescriptorsAvailable(logger);
            }
            ConnectionContext connection;
            try
            {
                if (accepted.LocalEndPoint is IPEndPoint) accepted.NoDelay = true;
                connection = contexts.Create(accepted);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // Reset between accept and setup (setsockopt fails on some systems): drop it, keep accepting.
                accepted.Dispose();
                _slots.Release();
                continue;
            }
            connection.ConnectionClosed.Register(ReleaseSlot, _slots);
            return connection;
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _unbound.Cancel();
        socket.Dispose();
        return default;
    }

    public ValueTask DisposeAsync()
    {
        _unbound.Cancel();
        socket.Dispose();
        _unbound.Dispose();
        return default;
    }
}
