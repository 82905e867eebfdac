using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Carp.Engine.Core;
using Carp.Linux;

namespace Carp.Control;

/// <summary>
/// One open connection to carpd's control socket: writes a request line and reads lines until its
/// answer, within <see cref="Timeout"/>. A broken or silent connection is
/// <see cref="CarpErrorCode.ServiceUnreachable"/>; a request that could not even be written is a
/// <see cref="StaleConnectionException"/>, because it never reached carpd. Disposing closes it.
/// </summary>
internal sealed class CarpdConnection : IDisposable
{
    private readonly Socket _socket;

    private CarpdConnection(string socketPath, TimeSpan timeout, Socket socket)
    {
        SocketPath = socketPath;
        Timeout = timeout;
        _socket = socket;
        var milliseconds = (int)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue);
        Stream = new NetworkStream(socket, ownsSocket: true) { ReadTimeout = milliseconds, WriteTimeout = milliseconds };
        Reader = new LineReader(Stream, CarpdProtocol.MaxResponseBytes);
    }

    public string SocketPath { get; }

    public TimeSpan Timeout { get; }

    public NetworkStream Stream { get; }

    public LineReader Reader { get; }

    public static CarpdConnection Open(string socketPath, TimeSpan timeout)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(socketPath));
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw Unreachable(socketPath, Describe(socketPath, ex), ex);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            socket.Dispose();
            throw Unreachable(socketPath, $"the socket path {socketPath} is too long", ex);
        }

        return new CarpdConnection(socketPath, timeout, socket);
    }

    /// <summary>Sends one request and reads lines until its answer; other lines (notifications) go to <paramref name="notification"/>.</summary>
    public T? Exchange<T>(long id, string method, Action<Utf8JsonWriter>? writeParams, JsonTypeInfo<T>? resultType,
        Action<ReadOnlyMemory<byte>>? notification)
    {
        var request = JsonRpc.Request(id, method, writeParams);
        try
        {
            Stream.Write(request);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            throw new StaleConnectionException(ex.Message, ex);
        }
        finally
        {
            Array.Clear(request); // it may carry a pass
        }

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var remaining = Timeout - deadline.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                throw TimedOut(method, null);
            }

            Stream.ReadTimeout = (int)Math.Clamp(Math.Ceiling(remaining.TotalMilliseconds), 1, int.MaxValue);
            LineResult line;
            try
            {
                line = Reader.ReadLine();
            }
            catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
            {
                throw TimedOut(method, ex);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                throw Unreachable(SocketPath, $"the connection broke during {method} ({ex.Message})", ex);
            }

            switch (line.Kind)
            {
                case LineKind.End:
                    throw Unreachable(SocketPath, $"carpd closed the connection during {method}", null);
                case LineKind.Oversized:
                    throw Unreachable(SocketPath, $"carpd's answer to {method} is larger than {CarpdProtocol.MaxResponseBytes} bytes", null);
            }

            if (CarpdResponse.TryRead(line.Line, id, method, resultType, out var result))
            {
                return result;
            }

            notification?.Invoke(line.Line);
        }
    }

    public void Dispose()
    {
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        Stream.Dispose();
    }

    public static CarpException Unreachable(string socketPath, string reason, Exception? inner) =>
        new(CarpErrorCode.ServiceUnreachable, $"Cannot reach carpd at {socketPath}: {reason}.", inner);

    private CarpException TimedOut(string method, Exception? inner) => new(CarpErrorCode.ServiceUnreachable,
        $"carpd at {SocketPath} did not answer {method} within {Timeout.TotalSeconds:0.#} s.", inner);

    private static string Describe(string socketPath, SocketException ex)
    {
        if (ex.SocketErrorCode == SocketError.AccessDenied)
        {
            return $"permission denied on {socketPath}";
        }

        UnixFileStatus? status;
        try
        {
            status = UnixFile.TryGetStatus(socketPath);
        }
        catch (IOException)
        {
            status = null;
        }

        return status is null
            ? $"there is no socket at {socketPath} (carpd is not running?)"
            : ex.SocketErrorCode == SocketError.ConnectionRefused
                ? $"nothing listens on {socketPath} (carpd is not running?)"
                : $"{ex.Message} ({socketPath})";
    }
}

/// <summary>The request could not be sent on a connection that was open: it never reached carpd.</summary>
internal sealed class StaleConnectionException(string message, Exception inner) : Exception(message, inner);
