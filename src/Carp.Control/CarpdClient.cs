using System.Diagnostics;
using System.Net.Sockets;
using System.Text.Json.Serialization.Metadata;
using System.Text.Json;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Linux;

namespace Carp.Control;

/// <summary>
/// An <see cref="ICarpService"/> that is carpd, reached over its control socket. Calls are
/// synchronous, one at a time on one connection (opened on first use, reopened after carpd
/// restarts), each bounded by <see cref="Timeout"/>. Refusals come back as the same
/// <see cref="CarpException"/> (same <see cref="CarpException.Code"/>) the engine threw in carpd;
/// an unreachable carpd is <see cref="CarpErrorCode.ServiceUnreachable"/>. Keys are sent to carpd
/// (base64 in <c>pass</c>) and never come back. Disposing disconnects; carpd keeps running.
/// </summary>
public sealed class CarpdClient : ICarpService
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly List<CarpdSubscription> _subscriptions = [];
    private Socket? _socket;
    private NetworkStream? _stream;
    private LineReader? _reader;
    private long _nextId;
    private bool _disposed;

    /// <summary>A client of carpd at <see cref="CarpdProtocol.DefaultSocketPath"/>. Connects on first use.</summary>
    public CarpdClient()
        : this(CarpdProtocol.DefaultSocketPath, DefaultTimeout)
    {
    }

    public CarpdClient(string socketPath)
        : this(socketPath, DefaultTimeout)
    {
    }

    public CarpdClient(string socketPath, TimeSpan timeout)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero);
        SocketPath = Path.GetFullPath(socketPath);
        Timeout = timeout;
    }

    public string SocketPath { get; }

    /// <summary>How long one call may wait for carpd's answer.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>Checks that carpd answers; returns the round-trip time.</summary>
    public TimeSpan Ping()
    {
        var watch = Stopwatch.StartNew();
        Call(CarpdProtocol.Methods.Ping, null, CarpdJsonContext.Default.String);
        return watch.Elapsed;
    }

    /// <summary>carpd's version (e.g. 0.1.0).</summary>
    public string GetServerVersion() =>
        Call(CarpdProtocol.Methods.Version, null, CarpdJsonContext.Default.VersionDto)?.Version ?? string.Empty;

    public IReadOnlyList<VirtualHostStatus> GetInterfaces() =>
        [.. (Call(CarpdProtocol.Methods.GetInterfaces, null, CarpdJsonContext.Default.IReadOnlyListInterfaceStatusDto) ?? []).Select(WireMapper.FromDto)];

    public VirtualHostStatus CreateInterface(VirtualHostConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Status(Call(CarpdProtocol.Methods.CreateInterface,
            JsonRpc.Value(WireMapper.ToDto(config), CarpdJsonContext.Default.InterfaceConfigDto),
            CarpdJsonContext.Default.InterfaceStatusDto));
    }

    public VirtualHostStatus SetInterface(string name, InterfaceChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return Status(Call(CarpdProtocol.Methods.SetInterface,
            JsonRpc.Value(WireMapper.ToDto(change, name), CarpdJsonContext.Default.InterfaceChangeDto),
            CarpdJsonContext.Default.InterfaceStatusDto));
    }

    public void RemoveInterface(string name) =>
        Call<bool>(CarpdProtocol.Methods.RemoveInterface, JsonRpc.Value(new NameParamsDto { Name = name }, CarpdJsonContext.Default.NameParamsDto), null);

    public CarpSysctls GetSysctls() =>
        WireMapper.SysctlsFromDto(Call(CarpdProtocol.Methods.GetSysctls, null, CarpdJsonContext.Default.DictionaryStringInt64) ?? []);

    public CarpSysctls SetSysctl(string name, long value) =>
        WireMapper.SysctlsFromDto(Call(CarpdProtocol.Methods.SetSysctl,
            JsonRpc.Value(new SetSysctlParamsDto { Name = name, Value = value }, CarpdJsonContext.Default.SetSysctlParamsDto),
            CarpdJsonContext.Default.DictionaryStringInt64) ?? []);

    public CarpStatisticsSnapshot GetStatistics() =>
        WireMapper.StatisticsFromDto(Call(CarpdProtocol.Methods.GetStatistics, null, CarpdJsonContext.Default.DictionaryStringInt64) ?? []);

    public void ResetStatistics() => Call<bool>(CarpdProtocol.Methods.ResetStatistics, null, null);

    public IDisposable Subscribe(Action<CarpEvent> handler) => Subscribe(handler, null);

    /// <summary>
    /// Opens a dedicated connection on which carpd pushes events; <paramref name="handler"/> runs on
    /// a background thread, one event at a time. <paramref name="closed"/> is called once if carpd
    /// ends the stream (with the error, or null when carpd closed it), not after Dispose.
    /// </summary>
    public IDisposable Subscribe(Action<CarpEvent> handler, Action<Exception?>? closed)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
        }

        var (socket, stream, reader) = Connect();
        CarpdSubscription? subscription = null;
        try
        {
            subscription = new CarpdSubscription(socket, stream, reader, handler, closed, Forget);
            Exchange(stream, reader, 1, CarpdProtocol.Methods.Subscribe, null, CarpdJsonContext.Default.Boolean, subscription.Deliver);
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                _subscriptions.Add(subscription);
            }

            subscription.Start();
            return subscription;
        }
        catch
        {
            if (subscription is null)
            {
                stream.Dispose();
            }
            else
            {
                subscription.Dispose();
            }

            throw;
        }
    }

    public void Dispose()
    {
        List<CarpdSubscription> subscriptions;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Disconnect();
            subscriptions = [.. _subscriptions];
            _subscriptions.Clear();
        }

        foreach (var subscription in subscriptions)
        {
            subscription.Dispose();
        }
    }

    private void Forget(CarpdSubscription subscription)
    {
        lock (_gate)
        {
            _subscriptions.Remove(subscription);
        }
    }

    private static VirtualHostStatus Status(InterfaceStatusDto? dto) =>
        dto is null ? throw new CarpException(CarpErrorCode.ServiceError, "carpd returned no status.") : WireMapper.FromDto(dto);

    private T? Call<T>(string method, Action<Utf8JsonWriter>? writeParams, JsonTypeInfo<T>? resultType)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var reused = _stream is not null;
            if (_stream is null)
            {
                (_socket, _stream, _reader) = Connect();
            }

            var id = ++_nextId;
            try
            {
                return Exchange(_stream!, _reader!, id, method, writeParams, resultType, null);
            }
            catch (StaleConnectionException) when (reused)
            {
                // carpd restarted since the last call: the request never reached it, so sending it again is safe.
                Disconnect();
                (_socket, _stream, _reader) = Connect();
                try
                {
                    return Exchange(_stream, _reader, id, method, writeParams, resultType, null);
                }
                catch (StaleConnectionException ex)
                {
                    Disconnect();
                    throw Unreachable($"the connection to carpd at {SocketPath} failed: {ex.Message}", ex);
                }
            }
            catch (StaleConnectionException ex)
            {
                Disconnect();
                throw Unreachable($"the connection to carpd at {SocketPath} failed: {ex.Message}", ex);
            }
            catch (CarpException ex) when (ex.Code == CarpErrorCode.ServiceUnreachable)
            {
                Disconnect();
                throw;
            }
        }
    }

    /// <summary>Sends one request and reads lines until its answer; other lines (notifications) go to <paramref name="notification"/>.</summary>
    private T? Exchange<T>(NetworkStream stream, LineReader reader, long id, string method, Action<Utf8JsonWriter>? writeParams,
        JsonTypeInfo<T>? resultType, Action<ReadOnlyMemory<byte>>? notification)
    {
        var request = JsonRpc.Request(id, method, writeParams);
        try
        {
            stream.Write(request);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            throw new StaleConnectionException(ex.Message, ex);
        }
        finally
        {
            Array.Clear(request);
        }

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var remaining = Timeout - deadline.Elapsed;
            if (remaining <= TimeSpan.Zero)
            {
                throw TimedOut(method, null);
            }

            stream.ReadTimeout = (int)Math.Clamp(Math.Ceiling(remaining.TotalMilliseconds), 1, int.MaxValue);
            LineResult line;
            try
            {
                line = reader.ReadLine();
            }
            catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
            {
                throw TimedOut(method, ex);
            }
            catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
            {
                throw Unreachable($"the connection to carpd at {SocketPath} broke during {method}: {ex.Message}", ex);
            }

            switch (line.Kind)
            {
                case LineKind.End:
                    throw Unreachable($"carpd at {SocketPath} closed the connection during {method}", null);
                case LineKind.Oversized:
                    throw Unreachable($"carpd's answer to {method} is larger than {CarpdProtocol.MaxResponseBytes} bytes", null);
            }

            if (TryReadResponse(line.Line, id, method, resultType, out var result))
            {
                return result;
            }

            notification?.Invoke(line.Line);
        }
    }

    /// <summary>True when <paramref name="line"/> answers request <paramref name="id"/>; throws its error as a <see cref="CarpException"/>.</summary>
    private static bool TryReadResponse<T>(ReadOnlyMemory<byte> line, long id, string method, JsonTypeInfo<T>? resultType, out T? result)
    {
        result = default;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException ex)
        {
            throw new CarpException(CarpErrorCode.ServiceError, $"carpd sent a line that is not JSON in reply to {method}.", ex);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || root.TryGetProperty("method", out _))
            {
                return false; // a notification
            }

            var hasError = root.TryGetProperty("error", out var error) && error.ValueKind == JsonValueKind.Object;
            if (root.TryGetProperty("id", out var idElement))
            {
                var ours = idElement.ValueKind == JsonValueKind.Number && idElement.TryGetInt64(out var number) && number == id;
                // An error with id null answers a request the server could not read: ours, as we have one outstanding.
                if (!ours && !(hasError && idElement.ValueKind == JsonValueKind.Null))
                {
                    return false;
                }
            }

            if (hasError)
            {
                throw ToException(error, method);
            }

            if (resultType is not null && root.TryGetProperty("result", out var value) && value.ValueKind != JsonValueKind.Null)
            {
                try
                {
                    result = value.Deserialize(resultType);
                }
                catch (Exception ex) when (ex is JsonException or NotSupportedException)
                {
                    throw new CarpException(CarpErrorCode.ServiceError, $"carpd's answer to {method} has an unexpected shape (at {(ex as JsonException)?.Path ?? "$"})." + " " + "Use a carpd of the same version as this client.", ex);
                }
            }

            return true;
        }
    }

    private static CarpException ToException(JsonElement error, string method)
    {
        var rpcCode = error.TryGetProperty("code", out var codeElement) && codeElement.TryGetInt32(out var c) ? c : CarpdProtocol.ErrorCodes.InternalError;
        var message = error.TryGetProperty("message", out var messageElement) && messageElement.ValueKind == JsonValueKind.String
            ? messageElement.GetString()!
            : $"carpd refused {method}.";
        CarpErrorCode? code = null;
        if (error.TryGetProperty("data", out var data) && data.ValueKind == JsonValueKind.Object)
        {
            if (data.TryGetProperty("code", out var name) && name.ValueKind == JsonValueKind.String &&
                Enum.TryParse<CarpErrorCode>(name.GetString(), ignoreCase: false, out var parsed) && Enum.IsDefined(parsed))
            {
                code = parsed;
            }
        }

        code ??= rpcCode switch
        {
            CarpdProtocol.ErrorCodes.ParseError or CarpdProtocol.ErrorCodes.InvalidRequest or CarpdProtocol.ErrorCodes.InvalidParams => CarpErrorCode.InvalidArgument,
            _ => CarpErrorCode.ServiceError,
        };
        if (rpcCode == CarpdProtocol.ErrorCodes.MethodNotFound)
        {
            message += " (carpd is older than this client)";
        }

        // carpd's data.recommendedAction is worded for raw JSON-RPC clients; each front end words its own.
        return new CarpException(code.Value, message);
    }

    private (Socket Socket, NetworkStream Stream, LineReader Reader) Connect()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        try
        {
            socket.Connect(new UnixDomainSocketEndPoint(SocketPath));
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw Unreachable(Describe(ex), ex);
        }
        catch (ArgumentOutOfRangeException ex)
        {
            socket.Dispose();
            throw Unreachable($"the socket path {SocketPath} is too long", ex);
        }

        var milliseconds = (int)Math.Clamp(Timeout.TotalMilliseconds, 1, int.MaxValue);
        var stream = new NetworkStream(socket, ownsSocket: true) { ReadTimeout = milliseconds, WriteTimeout = milliseconds };
        return (socket, stream, new LineReader(stream, CarpdProtocol.MaxResponseBytes));
    }

    private string Describe(SocketException ex)
    {
        if (ex.SocketErrorCode == SocketError.AccessDenied)
        {
            return $"permission denied on {SocketPath}";
        }

        UnixFileStatus? status;
        try
        {
            status = UnixFile.TryGetStatus(SocketPath);
        }
        catch (IOException)
        {
            status = null;
        }

        return status is null
            ? $"there is no socket at {SocketPath} (carpd is not running?)"
            : ex.SocketErrorCode == SocketError.ConnectionRefused
                ? $"nothing listens on {SocketPath} (carpd is not running?)"
                : $"{ex.Message} ({SocketPath})";
    }

    private void Disconnect()
    {
        try
        {
            _socket?.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }

        _stream?.Dispose();
        _socket = null;
        _stream = null;
        _reader = null;
    }

    private CarpException TimedOut(string method, Exception? inner) => new(CarpErrorCode.ServiceUnreachable,
        $"carpd at {SocketPath} did not answer {method} within {Timeout.TotalSeconds:0.#} s.", inner);

    private CarpException Unreachable(string reason, Exception? inner) => new(CarpErrorCode.ServiceUnreachable,
        $"Cannot reach carpd at {SocketPath}: {reason}.", inner);

    /// <summary>The request could not be sent on a connection that was open: it never reached carpd.</summary>
    private sealed class StaleConnectionException(string message, Exception inner) : Exception(message, inner);
}
