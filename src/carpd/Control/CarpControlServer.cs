using System.Collections.Concurrent;
using System.Net.Sockets;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Linux;
using Carpd.Configuration;

namespace Carpd.Control;

/// <summary>
/// Serves an <see cref="ICarpService"/> on a Unix domain socket with carpd's control protocol
/// (JSON-RPC 2.0, one object per line; docs/carpd-protocol.md). The socket is created with mode
/// 0600 in a directory created 0700 if missing, so only its owner (root) can connect. Every client
/// runs on its own task; a malformed or oversized request gets an error reply and never stops the
/// server. When <see cref="CarpControlServerOptions.MaxConnections"/> are connected, a new client
/// takes the place of the one idle longest, so idle or stuck clients cannot lock others out.
/// <see cref="Dispose"/> disconnects everyone and removes the socket file. The served service is not
/// disposed.
/// </summary>
public sealed class CarpControlServer : IDisposable
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(5);

    private readonly ICarpService _service;
    private readonly CarpControlServerOptions _options;
    private readonly ControlLog _controlLog;
    private readonly Socket _listener;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentDictionary<ControlConnection, Task> _connections = new();
    private readonly Task _acceptLoop;
    private int _connectionNumber;
    private int _disposed;

    private CarpControlServer(ICarpService service, string socketPath, Socket listener, CarpControlServerOptions options)
    {
        _service = service;
        SocketPath = socketPath;
        _listener = listener;
        _options = options;
        _controlLog = new ControlLog(options);
        _acceptLoop = Task.Run(AcceptLoopAsync);
    }

    /// <summary>The full path of the socket.</summary>
    public string SocketPath { get; }

    /// <summary>Clients connected now.</summary>
    public int ConnectionCount => _connections.Count;

    /// <summary>
    /// Binds <paramref name="socketPath"/> and starts accepting clients. A stale socket file left by
    /// a crashed carpd is removed; a live one (another carpd) or a file that is not a socket is
    /// refused with a <see cref="CarpException"/>.
    /// </summary>
    public static CarpControlServer Start(ICarpService service, string socketPath = CarpdProtocol.DefaultSocketPath, CarpControlServerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        options ??= new CarpControlServerOptions();
        CheckOptions(options);
        var path = Path.GetFullPath(socketPath);
        var directory = Path.GetDirectoryName(path) ?? "/";
        try
        {
            if (!Directory.Exists(directory))
            {
                Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            }

            RemoveStaleSocket(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw Unavailable($"Cannot prepare the control socket {path}", ex);
        }

        var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            listener.Bind(new UnixDomainSocketEndPoint(path));
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            listener.Listen(32);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            listener.Dispose();
            throw new CarpException(CarpErrorCode.InvalidArgument, $"The socket path {path} is too long: a Unix socket path has at most 107 bytes.", ex);
        }
        catch (Exception ex) when (ex is SocketException or IOException or UnauthorizedAccessException)
        {
            listener.Dispose();
            throw Unavailable($"Cannot listen on {path}", ex);
        }

        options.Log?.Invoke(CarpLogLevel.Info, $"control socket listening on {path}");
        return new CarpControlServer(service, path, listener, options);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _stop.Cancel();
        _listener.Dispose();
        foreach (var connection in _connections.Keys)
        {
            connection.Close();
        }

        try
        {
            Task.WaitAll([_acceptLoop, .. _connections.Values], StopTimeout);
        }
        catch (AggregateException)
        {
            // Connection tasks end by themselves; their failures were logged.
        }

        try
        {
            if (UnixFile.TryGetStatus(SocketPath) is { Kind: UnixFileKind.Socket })
            {
                File.Delete(SocketPath);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            _options.Log?.Invoke(CarpLogLevel.Warning, $"could not remove {SocketPath}: {ex.Message}");
        }

        _controlLog.Dispose();
        _stop.Dispose();
    }

    private async Task AcceptLoopAsync()
    {
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await _listener.AcceptAsync(token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                break;
            }
            catch (SocketException ex)
            {
                if (token.IsCancellationRequested)
                {
                    break;
                }

                // E.g. out of file descriptors: do not spin.
                _options.Log?.Invoke(CarpLogLevel.Warning, $"accepting a control client failed: {ex.Message}");
                try
                {
                    await Task.Delay(100, token);
                }
                catch (OperationCanceledException)
                {
                    break;
                }

                continue;
            }

            var number = Interlocked.Increment(ref _connectionNumber);
            if (!MakeRoom(number))
            {
                Refuse(client, number);
                continue;
            }

            var connection = new ControlConnection(client, _service, _options, _controlLog, number);
            var task = Task.Run(() => connection.RunAsync(token), CancellationToken.None);
            _connections[connection] = task;
            _ = task.ContinueWith(_ => _connections.TryRemove(connection, out var _), CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>True when a new client fits, after closing the one idle longest if the server is full.</summary>
    private bool MakeRoom(int newcomer)
    {
        var now = _options.TimeProvider.GetTimestamp();
        var live = 0;
        ControlConnection? idlest = null;
        var longest = TimeSpan.MinValue;
        foreach (var connection in _connections.Keys)
        {
            if (connection.IsClosed)
            {
                continue;
            }

            live++;
            if (connection.IdleFor(now) is { } idle && idle > longest)
            {
                (idlest, longest) = (connection, idle);
            }
        }

        if (live < _options.MaxConnections)
        {
            return true;
        }

        if (idlest is null)
        {
            return false;
        }

        _controlLog.Report(ControlLogKind.Evicted, idlest.Number,
            $"closed after {longest.TotalSeconds:0.###} s idle to make room for client {newcomer} ({_options.MaxConnections} were connected)");
        idlest.Close();
        return true;
    }

    private void Refuse(Socket client, int number)
    {
        _controlLog.Report(ControlLogKind.Refused, number, $"refused: {_options.MaxConnections} are connected and none is idle");
        try
        {
            client.Blocking = false;
            client.Send(JsonRpc.Error(null, CarpdProtocol.ErrorCodes.InternalError, "carpd is serving too many clients.",
                new ErrorDataDto { Code = nameof(CarpErrorCode.ServiceError), RecommendedAction = "Close other carpd clients and try again." }),
                SocketFlags.None);
        }
        catch (SocketException)
        {
        }
        finally
        {
            client.Dispose();
        }
    }

    private static void CheckOptions(CarpControlServerOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxRequestBytes, 1, nameof(options.MaxRequestBytes));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxConnections, 1, nameof(options.MaxConnections));
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxQueuedEvents, 1, nameof(options.MaxQueuedEvents));
        ArgumentNullException.ThrowIfNull(options.TimeProvider, nameof(options.TimeProvider));
        CheckDuration(options.IdleTimeout, nameof(options.IdleTimeout), infiniteAllowed: true);
        CheckDuration(options.WriteTimeout, nameof(options.WriteTimeout), infiniteAllowed: false);
        CheckDuration(options.LogInterval, nameof(options.LogInterval), infiniteAllowed: false);

        static void CheckDuration(TimeSpan value, string name, bool infiniteAllowed)
        {
            // Timers take at most int.MaxValue milliseconds (about 24 days).
            if (!(infiniteAllowed && value == Timeout.InfiniteTimeSpan) && (value <= TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue))
            {
                throw new ArgumentOutOfRangeException(name, value, $"{name} must be more than 0 and at most 24 days{(infiniteAllowed ? ", or infinite" : "")}.");
            }
        }
    }

    private static CarpException Unavailable(string problem, Exception ex) =>
        new(CarpErrorCode.NotPermitted, $"{problem} ({ex.Message}): carpd needs root, or a --socket path in a directory it owns.", ex);

    private static void RemoveStaleSocket(string path)
    {
        var status = UnixFile.TryGetStatus(path);
        if (status is null)
        {
            return;
        }

        if (status.Value.Kind != UnixFileKind.Socket)
        {
            throw new CarpException(CarpErrorCode.InvalidArgument, $"{path} exists and is not a socket, so carpd leaves it alone: --socket must name a socket or a free path.");
        }

        using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            probe.Connect(new UnixDomainSocketEndPoint(path));
        }
        catch (SocketException)
        {
            // Nobody listens: a crashed carpd left it behind.
            File.Delete(path);
            return;
        }

        throw new CarpException(CarpErrorCode.ServiceError, $"Another carpd is already listening on {path}: stop it (systemctl stop carpd) or give this one another --socket path.");
    }
}
