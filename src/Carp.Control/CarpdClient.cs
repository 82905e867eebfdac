using System.Diagnostics;
using System.Text.Json.Serialization.Metadata;
using System.Text.Json;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carp.Control;

/// <summary>
/// An <see cref="ICarpService"/> that is carpd, reached over its control socket. Calls are
/// synchronous, one at a time on one connection (opened on first use, reopened after carpd
/// restarts), each bounded by <see cref="Timeout"/>. Refusals come back as the same
/// <see cref="CarpException"/> (same <see cref="CarpException.Code"/>) the engine threw in carpd;
/// an unreachable carpd is <see cref="CarpErrorCode.ServiceUnreachable"/>. Keys are sent to carpd
/// (base64 in <c>pass</c>) and never come back. Disposing disconnects; carpd keeps running.
/// </summary>
public sealed partial class CarpdClient : ICarpService
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Lock _gate = new();
    private readonly List<CarpdSubscription> _subscriptions = [];
    private CarpdConnection? _connection;
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

    /// <summary>
    /// Has carpd re-read its configuration file and apply what changed, like <c>systemctl reload carpd</c>. A file
    /// that does not load is a <see cref="CarpException"/> naming file and line, and nothing changed.
    /// </summary>
    public ConfigurationReloadResult Reload() =>
        Call(CarpdProtocol.Methods.Reload, null, CarpdJsonContext.Default.ConfigurationReloadResult)
        ?? throw new CarpException(CarpErrorCode.ServiceError, "carpd returned no reload result.");

    public IReadOnlyList<VirtualHostStatus> GetInterfaces() =>
        [.. (Call(CarpdProtocol.Methods.GetInterfaces, null, CarpdJsonContext.Default.IReadOnlyListInterfaceStatusDto) ?? []).Select(ControlMapper.FromDto)];

    public VirtualHostStatus CreateInterface(VirtualHostConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Status(Call(CarpdProtocol.Methods.CreateInterface,
            JsonRpc.Value(ControlMapper.ToDto(config), CarpdJsonContext.Default.InterfaceConfigDto),
            CarpdJsonContext.Default.InterfaceStatusDto));
    }

    public VirtualHostStatus SetInterface(string name, InterfaceChange change)
    {
        ArgumentNullException.ThrowIfNull(change);
        return Status(Call(CarpdProtocol.Methods.SetInterface,
            JsonRpc.Value(ControlMapper.ToDto(change, name), CarpdJsonContext.Default.InterfaceChangeDto),
            CarpdJsonContext.Default.InterfaceStatusDto));
    }

    public void RemoveInterface(string name) =>
        Call<bool>(CarpdProtocol.Methods.RemoveInterface, JsonRpc.Value(new NameParamsDto { Name = name }, CarpdJsonContext.Default.NameParamsDto), null);

    public bool PassMatches(string name, CarpKey pass)
    {
        ArgumentNullException.ThrowIfNull(pass);
        return Call(CarpdProtocol.Methods.TestPass,
            JsonRpc.Value(new TestPassParamsDto { Name = name, Pass = pass.IsEmpty ? null : new PassDto(pass) }, CarpdJsonContext.Default.TestPassParamsDto),
            CarpdJsonContext.Default.Boolean);
    }

    public CarpSysctls GetSysctls() =>
        ControlMapper.SysctlsFromDto(Call(CarpdProtocol.Methods.GetSysctls, null, CarpdJsonContext.Default.DictionaryStringInt64) ?? []);

    public CarpSysctls SetSysctl(string name, long value) =>
        ControlMapper.SysctlsFromDto(Call(CarpdProtocol.Methods.SetSysctl,
            JsonRpc.Value(new SetSysctlParamsDto { Name = name, Value = value }, CarpdJsonContext.Default.SetSysctlParamsDto),
            CarpdJsonContext.Default.DictionaryStringInt64) ?? []);

    public CarpStatisticsSnapshot GetStatistics() =>
        ControlMapper.StatisticsFromDto(Call(CarpdProtocol.Methods.GetStatistics, null, CarpdJsonContext.Default.DictionaryStringInt64) ?? []);

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

        var connection = CarpdConnection.Open(SocketPath, Timeout);
        CarpdSubscription? subscription = null;
        try
        {
            subscription = new CarpdSubscription(connection, handler, closed, Forget);
            connection.Exchange(1, CarpdProtocol.Methods.Subscribe, null, CarpdJsonContext.Default.Boolean, subscription.Deliver);
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
                connection.Dispose();
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
        dto is null ? throw new CarpException(CarpErrorCode.ServiceError, "carpd returned no status.") : ControlMapper.FromDto(dto);

    private T? Call<T>(string method, Action<Utf8JsonWriter>? writeParams, JsonTypeInfo<T>? resultType)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var reused = _connection is not null;
            _connection ??= CarpdConnection.Open(SocketPath, Timeout);
            var id = ++_nextId;
            try
            {
                return _connection.Exchange(id, method, writeParams, resultType, null);
            }
            catch (StaleConnectionException) when (reused)
            {
                // carpd restarted since the last call: the request never reached it, so sending it again is safe.
                Disconnect();
                _connection = CarpdConnection.Open(SocketPath, Timeout);
                try
                {
                    return _connection.Exchange(id, method, writeParams, resultType, null);
                }
                catch (StaleConnectionException ex)
                {
                    Disconnect();
                    throw CarpdConnection.Unreachable(SocketPath, $"the connection failed ({ex.Message})", ex);
                }
            }
            catch (StaleConnectionException ex)
            {
                Disconnect();
                throw CarpdConnection.Unreachable(SocketPath, $"the connection failed ({ex.Message})", ex);
            }
            catch (CarpException ex) when (ex.Code == CarpErrorCode.ServiceUnreachable)
            {
                Disconnect();
                throw;
            }
        }
    }

    private void Disconnect()
    {
        _connection?.Dispose();
        _connection = null;
    }
}
