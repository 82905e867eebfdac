using System.Diagnostics;
using System.Net.Sockets;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Engine.Hosting;

/// <summary>
/// A CARP engine running in this process: one <see cref="CarpNode"/> on its own loop thread, put on
/// a wire through <see cref="ICarpWire"/>. Every public method may be called from any thread; it is
/// carried out on the loop thread, so the protocol core never sees concurrency.
/// </summary>
public sealed partial class CarpService : ICarpService, ICarpOutput
{
    private static readonly TimeSpan BadPacketLogInterval = TimeSpan.FromSeconds(10);

    private readonly ICarpWire _wire;
    private readonly CarpNode _node;
    private readonly EngineLoop _loop;
    private readonly EventDispatcher _events;
    private readonly Action<CarpLogLevel, string>? _log;
    private readonly Dictionary<string, IWirePort> _ports = new(StringComparer.Ordinal);
    private readonly CaptureDropTally _captureDrops = new();
    private readonly AdvertFrameCache _frames = new();
    private readonly AnnouncementFrameCache _announcements = new();
    private readonly WireBatch _batch = new();
    private readonly SendFailureLog _sendFailures;
    private readonly LogRateLimiter<CarpStatistic> _badPacketLog;
    private readonly ITrackerProbe _trackerProbe;
    private int _disposed;

    public CarpService(ICarpWire wire, CarpServiceOptions? options = null)
    {
        options ??= new CarpServiceOptions();
        _wire = wire;
        _log = options.Log;
        _trackerProbe = options.TrackerProbe;
        _node = new CarpNode(this, options.TimeProvider, options.Sysctls) { AdvertCoalescing = options.AdvertCoalescing };
        _sendFailures = new SendFailureLog(_node.Time);
        _events = new EventDispatcher(_log);
        _badPacketLog = new LogRateLimiter<CarpStatistic>(BadPacketLogInterval, options.TimeProvider, held =>
            Log(CarpLogLevel.Debug, 2, $"{held.Count} more bad packets ({held.Kind}) dropped in the last {held.Period.TotalSeconds:0.#} s"));
        _loop = new EngineLoop(options.Platform, options.TimeProvider, () => _node.NextDeadline, RunTimers, _log,
            options.LoopTurn is { } turn ? () => { turn(); return LoopTurn(); } : LoopTurn, OnStalled, options.LoopTurnInterval);
        _backupMacRefresh = options.BackupMacRefresh;
        _wire.LinkChanged += OnLinkChanged;
        _wire.AddressesChanged += OnAddressesChanged;
        JitWarmer.WarmTakeoverPathOnce();
        _loop.Start();
        if (options.RehearseTakeover)
        {
            _loop.Invoke(RehearseTakeovers);
        }
    }

    public IReadOnlyList<VirtualHostStatus> GetInterfaces() =>
        _loop.Invoke(() => (IReadOnlyList<VirtualHostStatus>)_node.VirtualHosts.OrderBy(h => h.Name, StringComparer.Ordinal).Select(ToStatus).ToArray());

    public VirtualHostStatus CreateInterface(VirtualHostConfig config) => _loop.Invoke(() => ToStatus(Create(config)));

    /// <summary>
    /// Creates them all in one step of the loop, then restarts the master-down timers of those that are BACKUP from the
    /// end of the step (docs/protocol.md#started-together). The loop runs nothing else meanwhile: meant for a start-up.
    /// </summary>
    public IReadOnlyList<InterfaceCreation> CreateInterfaces(IReadOnlyList<VirtualHostConfig> configs) => _loop.Invoke(() =>
    {
        var results = new List<InterfaceCreation>(configs.Count);
        var created = new List<VirtualHost>(configs.Count);
        foreach (var config in configs)
        {
            try
            {
                var host = Create(config);
                created.Add(host);
                results.Add(new InterfaceCreation(config, null, null));
            }
            catch (CarpException ex)
            {
                results.Add(new InterfaceCreation(config, null, ex));
            }
        }

        _node.StartTogether(created);
        return (IReadOnlyList<InterfaceCreation>)[.. results.Select(r => r.Error is null ? r with { Status = ToStatus(_node.Find(r.Config.Name)!) } : r)];
    });

    /// <summary>On the loop thread: creates one interface, or refuses it and leaves nothing of it behind.</summary>
    private VirtualHost Create(VirtualHostConfig config)
    {
        // Refuse before touching the wire: preparing a duplicate would take the live master's address away.
        _node.CheckAddable(config);
        var prepared = false;
        try
        {
            EnsurePort(config.CarpDev);
            _wire.PrepareInterface(config);
            prepared = true;
            var host = _node.AddVirtualHost(config);
            ReserveBatches(host.Device);
            Log(CarpLogLevel.Info, 1, $"{config.Name}: created vhid {config.Vhid} on {config.CarpDev} ({string.Join(' ', config.Addresses)})");
            LogIfHeldInInit(host);
            return host;
        }
        catch
        {
            // Refused: nothing of it may stay behind (the macvlan, a capture nobody else uses).
            if (prepared)
            {
                _wire.ReleaseInterface(config);
            }

            ReleaseUnusedPorts();
            throw;
        }
    }

    public VirtualHostStatus SetInterface(string name, InterfaceChange change) => _loop.Invoke(() =>
    {
        var host = _node.Find(name) ?? throw CarpRefusals.NoSuchInterface(name);
        var old = host.Config;
        var config = change.ApplyTo(old);
        if (change.State == CarpState.Master && config.Maintenance)
        {
            // Refused before anything changes: a suspended host is kept out of mastership until it is resumed.
            throw CarpRefusals.Suspended(name);
        }

        var identityChanged = config.Vhid != old.Vhid || config.CarpDev != old.CarpDev || config.MacMode != old.MacMode;
        if (identityChanged)
        {
            try
            {
                EnsurePort(config.CarpDev);
                host = _node.UpdateVirtualHost(name, config);
            }
            catch
            {
                ReleaseUnusedPorts();
                throw;
            }

            _wire.ReleaseInterface(old);
            try
            {
                _wire.PrepareInterface(config);
            }
            catch (CarpException ex)
            {
                // The new host runs but cannot hold its addresses: keep it out of the protocol rather than half there.
                _node.RemoveVirtualHost(name);
                ReleaseUnusedPorts();
                throw new CarpException(ex.Code, $"{name} was removed: {ex.Message}", ex);
            }

            ReleaseUnusedPorts();
        }
        else if (config != old)
        {
            host = _node.UpdateVirtualHost(name, config);
            if (!config.Addresses.SequenceEqual(old.Addresses))
            {
                _wire.AddressesReconfigured(old, config);
            }
        }

        if (change.DemoteAdjustment is { } delta && delta != 0)
        {
            _node.AdjustDemote(name, delta);
        }

        if (change.State is { } state)
        {
            _node.Force(name, state);
        }

        LogIfHeldInInit(host);
        return ToStatus(host);
    });

    public void RemoveInterface(string name) => _loop.Invoke(() =>
    {
        var host = _node.Find(name) ?? throw CarpRefusals.NoSuchInterface(name);
        var config = host.Config;
        _node.RemoveVirtualHost(name);
        _wire.ReleaseInterface(config);
        ReleaseUnusedPorts();
        _sendFailures.Forget(name);
        Log(CarpLogLevel.Info, 1, $"{name}: destroyed");
    });

    public bool PassMatches(string name, CarpKey pass)
    {
        ArgumentNullException.ThrowIfNull(pass);
        return _loop.Invoke(() => (_node.Find(name) ?? throw CarpRefusals.NoSuchInterface(name)).Config.Key.Equals(pass));
    }

    public CarpSysctls GetSysctls() => _loop.Invoke(() => _node.Sysctls);

    public CarpSysctls SetSysctl(string name, long value) => _loop.Invoke(() => _node.SetSysctl(name, value));

    public CarpStatisticsSnapshot GetStatistics()
    {
        try
        {
            return _loop.Invoke(() => _node.Statistics.Snapshot(_captureDrops.Total(_ports.Values)));
        }
        catch (ObjectDisposedException)
        {
            // Stopped: the captures are closed, the carpstats counters remain.
            return _node.Statistics.Snapshot();
        }
    }

    public void ResetStatistics()
    {
        _node.Statistics.Reset();
        try
        {
            _loop.Invoke(() => _captureDrops.Reset(_ports.Values));
        }
        catch (ObjectDisposedException)
        {
            // Stopped: no capture left to count.
        }
    }

    public IDisposable Subscribe(Action<CarpEvent> handler) => _events.Subscribe(handler);

    // ---- Plumbing -----------------------------------------------------------------------------

    private void Publish(CarpEvent e)
    {
        try
        {
            _events.Publish(e);
        }
        catch (InvalidOperationException)
        {
            // Stopping: no one is listening any more.
        }
    }

    private void EnsurePort(string carpDev)
    {
        if (_ports.ContainsKey(carpDev))
        {
            return;
        }

        CarpDevice? device = null;
        FrameHandler receive = (frame, arrivedAt) => _node.Receive(device!, frame, ArrivalInNodeTime(arrivedAt));
        var port = _wire.OpenPort(carpDev, (frame, arrivedAt) => _loop.PostFrame(receive, frame, arrivedAt));
        _ports.Add(carpDev, port);
        _batch.Prime(port);
        device = _node.AddDevice(carpDev, port.LinkUp, port.IPv4, port.IPv6);
    }

    /// <summary>
    /// A wire's arrival time (a Stopwatch timestamp) as a timestamp of the node's clock: now minus the frame's age, the
    /// age taken as zero when negative and capped at a second (a stepped clock, a wire that guessed): docs/protocol.md#arrival-time.
    /// </summary>
    private long ArrivalInNodeTime(long arrivedAt)
    {
        var now = _node.Now;
        var age = Stopwatch.GetTimestamp() - arrivedAt;
        if (age <= 0)
        {
            return now;
        }

        var ageSeconds = Math.Min((double)age / Stopwatch.Frequency, 1.0);
        return now - (long)(ageSeconds * _node.Time.TimestampFrequency);
    }

    private void ReleaseUnusedPorts()
    {
        _frames.Retain(_node.VirtualHosts);
        _announcements.Retain(_node.VirtualHosts);
        foreach (var (name, port) in _ports.ToArray())
        {
            if (_node.FindDevice(name) is { Count: 0 })
            {
                _ports.Remove(name);
                _batch.Forget(port);
                _captureDrops.Closing(port);
                port.Dispose();
            }
        }
    }

    private void OnLinkChanged(string carpDev, bool up)
    {
        if (Volatile.Read(ref _disposed) == 0)
        {
            _loop.Invoke(() =>
            {
                if (_ports.TryGetValue(carpDev, out var port))
                {
                    Log(CarpLogLevel.Warning, 1, $"{carpDev}: link {(up ? "up" : "down")}");
                    if (up)
                    {
                        // Addresses may have come or gone while it was down, and their notifications been missed.
                        RefreshSources(port);
                    }

                    _node.SetLinkState(carpDev, up);
                }
            });
        }
    }

    private VirtualHostStatus ToStatus(VirtualHost host) => VirtualHostStatus.Of(host.Config, host.State) with
    {
        BalancingSet = _node.BalancingSetOf(host),
        AnswersArp = _node.Sysctls.ArpBalance && host.State == CarpState.Master && _node.BalancingSetOf(host).Count > 1,
        AdvertisedAdvSkew = host.AdvertisedAdvSkew,
        DemoteCount = host.DemoteCount,
        MasterSeen = host.MasterSeen,
        MasterSeenAdvBase = host.MasterSeenTiming?.AdvBase,
        MasterSeenAdvSkew = host.MasterSeenTiming?.AdvSkew,
        LastTransition = host.LastTransition,
        LastTransitionReason = host.LastTransitionReason,
        Transitions = host.Transitions,
        MasterAdverInterval = host.IsVrrp ? host.MasterAdverInterval : null,
        MasterSeenPriority = host.MasterSeenPriority,
        Announcements = host.Announcements,
        OtherMastersSeen = host.OtherMastersSeen,
        AdvertsSent = host.AdvertsSent,
        AdvertsReceived = host.AdvertsReceived,
        AdvertisedPriority = host.Priority,
        Trackers = _node.TrackersOf(host),
        TrackerDemotion = host.TrackerDemotion,
        TrackerFault = host.TrackerFault,
    };

    /// <summary>On the loop thread, before anything else of that turn: the wire took the addresses while the engine stood still.</summary>
    private void OnStalled()
    {
        Log(CarpLogLevel.Warning, 0, "the engine stood still longer than its address guardian allows: the virtual addresses were taken away; masters step down");
        _node.AddressesRevoked();
    }

    private void Log(CarpLogLevel level, int threshold, string message)
    {
        if (_log is not null && _node.Sysctls.Log >= threshold)
        {
            try
            {
                _log(level, message);
            }
            catch (Exception)
            {
                // A failing log sink must not stop the protocol.
            }
        }
    }

    /// <summary>Stops the engine: every MASTER bows out and every virtual address and carp link is removed.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _wire.LinkChanged -= OnLinkChanged;
        _wire.AddressesChanged -= OnAddressesChanged;
        StopTrackers();
        try
        {
            _loop.Invoke(() =>
            {
                // Every host bows out and releases its addresses, whatever happens to the others.
                foreach (var host in _node.VirtualHosts.ToArray())
                {
                    var config = host.Config;
                    try
                    {
                        _node.RemoveVirtualHost(host.Name);
                        _wire.ReleaseInterface(config);
                    }
                    catch (Exception ex)
                    {
                        Log(CarpLogLevel.Error, 0, $"{config.Name}: could not be released cleanly: {ex.Message}");
                    }
                }

                foreach (var port in _ports.Values)
                {
                    _captureDrops.Closing(port);
                    port.Dispose();
                }

                _ports.Clear();
            });
        }
        finally
        {
            _loop.Dispose();
            _badPacketLog.Dispose();
            _events.Dispose();
            _wire.Dispose();
        }
    }
}
