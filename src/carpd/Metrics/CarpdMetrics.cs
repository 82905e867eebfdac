using System.Globalization;
using System.Runtime.InteropServices;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Prometheus;

namespace Carpd.Metrics;

/// <summary>
/// carpd's Prometheus metrics (docs/metrics.md), collected at scrape time: each scrape asks the engine for its
/// status, sysctls and statistics through <see cref="ICarpService"/> (thread-safe, the engine thread answers
/// between two turns) and sets prometheus-net's series from them; series of interfaces that are gone are removed.
/// A registry of its own: none of prometheus-net's default process and .NET metrics (they cost CPU on every scrape).
/// The carpstats counters are exported as counters since carpd started: <c>resetStatistics</c> does not lower them
/// (a scrape that finds a statistic lower than before counts only what came since the reset).
/// </summary>
internal sealed class CarpdMetrics : IDisposable
{
    private static readonly string[] VhostLabels = ["interface", "vhid", "carpdev", "protocol"];
    private static readonly CarpState[] States = [CarpState.Init, CarpState.Backup, CarpState.Master];

    private readonly ICarpService _service;
    private readonly TransitionTally _tally;
    private readonly Func<IReadOnlyList<TrackerMetric>>? _trackers;
    private readonly TimeProvider _time;
    private readonly CollectorRegistry _registry;
    private readonly SemaphoreSlim _scrape = new(1, 1);
    private readonly Dictionary<Collector, HashSet<string>> _touched = [];
    private readonly long[] _lastStatistics = new long[CarpStatistics.Count];
    private long _lastCaptureDrops;

    private readonly Gauge _up;
    private readonly Gauge _buildInfo;
    private readonly Gauge _startTime;
    private readonly Gauge _sysctl;
    private readonly Counter _advertsSent;
    private readonly Counter _advertsReceived;
    private readonly Counter _dropped;
    private readonly Counter _sendFailed;
    private readonly Counter _stateUpdates;
    private readonly Counter _preemptions;
    private readonly Counter _captureDrops;
    private readonly Gauge _state;
    private readonly Gauge _stateCode;
    private readonly Gauge _advskew;
    private readonly Gauge _advertisedAdvskew;
    private readonly Gauge _interval;
    private readonly Gauge _priority;
    private readonly Gauge _demotion;
    private readonly Gauge _maintenance;
    private readonly Gauge _masterInfo;
    private readonly Gauge _addressInfo;
    private readonly Gauge _lastTransition;
    private readonly Counter _transitions;
    private readonly Counter _announcements;
    private readonly Counter _vhostAdvertsSent;
    private readonly Counter _vhostAdvertsReceived;
    private readonly Gauge _advertisedPriority;
    private readonly Gauge _trackerDemotion;
    private readonly Gauge _trackerFault;
    private readonly Counter _otherMasters;
    private readonly Gauge _trackerUp;

    /// <param name="service">The engine (carpd's, or a simulated one in tests).</param>
    /// <param name="tally">State changes by reason, subscribed to the same engine.</param>
    /// <param name="trackers">
    /// TRACKERS: the health trackers' states for <c>carp_tracker_up</c>; null until carpd's trackers are wired here
    /// (docs/metrics.md#trackers). Called at every scrape, on the scraping thread; must not block.
    /// </param>
    /// <param name="startedAt">When carpd started (<c>carp_start_time_seconds</c>).</param>
    public CarpdMetrics(ICarpService service, TransitionTally tally, Func<IReadOnlyList<TrackerMetric>>? trackers = null,
        DateTimeOffset? startedAt = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(service);
        ArgumentNullException.ThrowIfNull(tally);
        _service = service;
        _tally = tally;
        _trackers = trackers;
        _time = time ?? TimeProvider.System;
        _registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(_registry);

        _up = factory.CreateGauge("carp_up", "1 when carpd's CARP engine answered this scrape, 0 when it did not (then only this and carp_build_info are current).");
        _buildInfo = factory.CreateGauge("carp_build_info", "carpd's version, control protocol and .NET runtime; always 1.", ["version", "protocol", "runtime"]);
        _startTime = factory.CreateGauge("carp_start_time_seconds", "When carpd started, in seconds since the Unix epoch.");
        _sysctl = factory.CreateGauge("carp_sysctl", "Every net.inet.carp sysctl by its short name (demotion, suppress_preempt, preempt, ...).", ["name"]);
        _advertsSent = factory.CreateCounter("carp_adverts_sent_total", "Adverts sent (carpstats opackets, opackets6), by address family.", ["family"]);
        _advertsReceived = factory.CreateCounter("carp_adverts_received_total", "CARP/VRRP packets received, valid or not (carpstats ipackets, ipackets6), by address family.", ["family"]);
        _dropped = factory.CreateCounter("carp_packets_dropped_total", "Received packets dropped by a check, by the carpstats counter that counted them (badif, badttl, hdrops, badsum, badver, badlen, badauth, badvhid, badaddrs).", ["reason"]);
        _sendFailed = factory.CreateCounter("carp_adverts_send_failed_total", "Adverts that could not be sent (carpstats onomem).");
        _stateUpdates = factory.CreateCounter("carp_state_updates_sent_total", "State updates sent (carpstats ostates; pfsync, always 0 on Linux).");
        _preemptions = factory.CreateCounter("carp_preemptions_total", "Transitions to MASTER of any virtual host (carpstats preempt).");
        _captureDrops = factory.CreateCounter("carp_capture_dropped_frames_total", "Frames the carpdevs' packet captures dropped before the engine saw them (pcap ps_drop + ps_ifdrop).");
        _state = factory.CreateGauge("carp_vhost_state", "1 for the state the virtual host is in, 0 for the others (init, backup, master).", [.. VhostLabels, "state"]);
        _stateCode = factory.CreateGauge("carp_vhost_state_code", "The state as a number: 0 init, 1 backup, 2 master (keepalived's numbering).", VhostLabels);
        _advskew = factory.CreateGauge("carp_vhost_advskew", "The configured advskew (CARP).", VhostLabels);
        _advertisedAdvskew = factory.CreateGauge("carp_vhost_advertised_advskew", "The advskew actually advertised, after demotion or suppression (CARP).", VhostLabels);
        _interval = factory.CreateGauge("carp_vhost_advert_interval_seconds", "The configured advert interval: advbase (CARP) or the VRRP interval, in seconds.", VhostLabels);
        _priority = factory.CreateGauge("carp_vhost_priority", "The configured VRRP priority (VRRP interfaces only).", VhostLabels);
        _demotion = factory.CreateGauge("carp_vhost_demotion", "The demote count advertised (OpenBSD's demote byte).", VhostLabels);
        _maintenance = factory.CreateGauge("carp_vhost_maintenance", "1 while the virtual host is in maintenance mode (Suspend-CarpInterface, the maintenance keyword).", VhostLabels);
        _masterInfo = factory.CreateGauge("carp_vhost_master_info", "1, labelled with the source address of the last valid advert heard from another node (on a BACKUP: the master); absent when none was heard.", [.. VhostLabels, "master"]);
        _addressInfo = factory.CreateGauge("carp_vhost_address_info", "1 per virtual address of the virtual host.", [.. VhostLabels, "address"]);
        _lastTransition = factory.CreateGauge("carp_vhost_last_transition_timestamp_seconds", "When the virtual host last changed state, in seconds since the Unix epoch.", VhostLabels);
        _transitions = factory.CreateCounter("carp_vhost_transitions_total", "State changes since carpd started, by reason (Started, MasterDown, Preempt, ...).", [.. VhostLabels, "reason"]);
        _advertisedPriority = factory.CreateGauge("carp_vhost_advertised_priority",
            "The VRRP priority actually advertised, after its failing trackers' weights (VRRP interfaces only).", VhostLabels);
        _trackerDemotion = factory.CreateGauge("carp_vhost_tracker_demotion",
            "What the failing health trackers covering the virtual host add to its demotion (advskew, demote byte, or taken off the VRRP priority).", VhostLabels);
        _trackerFault = factory.CreateGauge("carp_vhost_tracker_fault", "1 while a failing tracker with fault holds the virtual host in INIT.", VhostLabels);
        _vhostAdvertsSent = factory.CreateCounter("carp_vhost_adverts_sent_total",
            "Adverts of the virtual host sent (each address family counts), bow-outs included.", VhostLabels);
        _vhostAdvertsReceived = factory.CreateCounter("carp_vhost_adverts_received_total",
            "Adverts for the virtual host that passed every receive check, from any node.", VhostLabels);
        _announcements = factory.CreateCounter("carp_vhost_announcements_total",
            "Announcements sent (one gratuitous ARP per IPv4 and one unsolicited NA per IPv6 address each): takeover bursts, the delayed one, refreshes, answers to another master.", VhostLabels);
        _otherMasters = factory.CreateCounter("carp_vhost_other_masters_seen_total",
            "Adverts heard, as master, from another master of the vhid that had to yield: a split brain healing (or a preemption's last word).", VhostLabels);
        _trackerUp = factory.CreateGauge("carp_tracker_up", "1 while the health tracker's check passes, 0 while it fails.", ["tracker", "interface"]);

        _buildInfo.WithLabels(CarpdProtocol.ProductVersion, CarpdProtocol.Version.ToString(CultureInfo.InvariantCulture), RuntimeInformation.FrameworkDescription).Set(1);
        _startTime.Set((startedAt ?? _time.GetUtcNow()).ToUnixTimeMilliseconds() / 1000.0);
        _registry.AddBeforeCollectCallback(Collect);
    }

    /// <summary>Collects and writes the metrics in Prometheus' text format (0.0.4); one scrape at a time.</summary>
    public async Task WriteAsync(Stream output, CancellationToken cancellationToken)
    {
        await _scrape.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _registry.CollectAndExportAsTextAsync(output, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _scrape.Release();
        }
    }

    /// <summary>A scrape as text (tests, benchmarks).</summary>
    public async Task<string> ScrapeAsync(CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        await WriteAsync(buffer, cancellationToken).ConfigureAwait(false);
        return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    public void Dispose() => _scrape.Dispose();

    // Runs inside CollectAndExportAsTextAsync, under _scrape.
    private void Collect()
    {
        IReadOnlyList<VirtualHostStatus> interfaces;
        CarpSysctls sysctls;
        CarpStatisticsSnapshot statistics;
        try
        {
            interfaces = _service.GetInterfaces();
            sysctls = _service.GetSysctls();
            statistics = _service.GetStatistics();
        }
        catch (Exception ex) when (ex is CarpException or ObjectDisposedException or InvalidOperationException)
        {
            _up.Set(0);
            return;
        }

        _up.Set(1);
        foreach (var descriptor in SysctlCatalog.All)
        {
            _sysctl.WithLabels(descriptor.Name).Set(SysctlCatalog.Get(sysctls, descriptor));
        }

        CollectStatistics(statistics);
        _touched.Clear();
        foreach (var status in interfaces)
        {
            CollectInterface(status);
        }

        CollectTrackers();
        foreach (var collector in new Collector[] { _state, _stateCode, _advskew, _advertisedAdvskew, _interval, _priority, _demotion, _maintenance, _masterInfo, _addressInfo, _lastTransition, _transitions, _announcements, _vhostAdvertsSent, _vhostAdvertsReceived, _otherMasters, _advertisedPriority, _trackerDemotion, _trackerFault, _trackerUp })
        {
            RemoveUntouched(collector);
        }
    }

    private void CollectStatistics(CarpStatisticsSnapshot statistics)
    {
        Count(_advertsReceived.WithLabels("ipv4"), statistics, CarpStatistic.IPackets);
        Count(_advertsReceived.WithLabels("ipv6"), statistics, CarpStatistic.IPackets6);
        Count(_advertsSent.WithLabels("ipv4"), statistics, CarpStatistic.OPackets);
        Count(_advertsSent.WithLabels("ipv6"), statistics, CarpStatistic.OPackets6);
        foreach (var drop in new[] { CarpStatistic.BadIf, CarpStatistic.BadTtl, CarpStatistic.HdrOps, CarpStatistic.BadSum, CarpStatistic.BadVer,
                     CarpStatistic.BadLen, CarpStatistic.BadAuth, CarpStatistic.BadVhid, CarpStatistic.BadAddrs })
        {
            Count(_dropped.WithLabels(drop.ToString().ToLowerInvariant()), statistics, drop);
        }

        Count(_sendFailed, statistics, CarpStatistic.ONoMem);
        Count(_stateUpdates, statistics, CarpStatistic.OStates);
        Count(_preemptions, statistics, CarpStatistic.Preempt);
        _captureDrops.Inc(Delta(statistics.CaptureDrops, ref _lastCaptureDrops));
    }

    private void Count(ICounter counter, CarpStatisticsSnapshot statistics, CarpStatistic statistic) =>
        counter.Inc(Delta(statistics[statistic], ref _lastStatistics[(int)statistic]));

    /// <summary>What a statistic gained since the last scrape; after a reset (it is lower) all of it is new.</summary>
    private static long Delta(long value, ref long last)
    {
        var delta = value >= last ? value - last : value;
        last = value;
        return delta;
    }

    private void CollectInterface(VirtualHostStatus status)
    {
        string[] labels = [status.Name, status.Vhid.ToString(CultureInfo.InvariantCulture), status.CarpDev, status.Protocol == VirtualHostProtocol.Vrrp ? "vrrp" : "carp"];
        foreach (var state in States)
        {
            Set(_state, [.. labels, StateLabel(state)], status.State == state ? 1 : 0);
        }

        Set(_stateCode, labels, status.State switch { CarpState.Master => 2, CarpState.Backup => 1, _ => 0 });
        Set(_demotion, labels, status.DemoteCount);
        Set(_maintenance, labels, status.Maintenance ? 1 : 0);
        if (status.Protocol == VirtualHostProtocol.Vrrp)
        {
            Set(_priority, labels, status.Priority);
            Set(_advertisedPriority, labels, status.AdvertisedPriority);
            Set(_interval, labels, status.Interval / 100.0);
        }
        else
        {
            Set(_advskew, labels, status.AdvSkew);
            Set(_advertisedAdvskew, labels, status.AdvertisedAdvSkew);
            Set(_interval, labels, status.AdvBase);
        }

        if (status.MasterSeen is { } master)
        {
            Set(_masterInfo, [.. labels, master.ToString()], 1);
        }

        foreach (var address in status.Addresses)
        {
            Set(_addressInfo, [.. labels, address.ToString()], 1);
        }

        if (status.LastTransition is { } last)
        {
            Set(_lastTransition, labels, last.ToUnixTimeMilliseconds() / 1000.0);
        }

        Set(_trackerDemotion, labels, status.TrackerDemotion);
        Set(_trackerFault, labels, status.TrackerFault ? 1 : 0);
        CountTo(_vhostAdvertsSent, labels, status.AdvertsSent);
        CountTo(_vhostAdvertsReceived, labels, status.AdvertsReceived);
        CountTo(_announcements, labels, status.Announcements);
        CountTo(_otherMasters, labels, status.OtherMastersSeen);
        foreach (var (reason, count) in _tally.Of(status.Name, status.Vhid))
        {
            CountTo(_transitions, [.. labels, reason.ToString()], count);
        }
    }

    private void CollectTrackers()
    {
        if (_trackers is null)
        {
            return;
        }

        IReadOnlyList<TrackerMetric> trackers;
        try
        {
            trackers = _trackers();
        }
        catch (Exception ex) when (ex is CarpException or ObjectDisposedException or InvalidOperationException)
        {
            return;
        }

        foreach (var tracker in trackers)
        {
            Set(_trackerUp, [tracker.Tracker, tracker.Interface ?? string.Empty], tracker.Up ? 1 : 0);
        }
    }

    private void Set(Gauge gauge, string[] labels, double value)
    {
        gauge.WithLabels(labels).Set(value);
        Touch(gauge, labels);
    }

    /// <summary>A counter follows the engine's own count, which only grows while the interface lives.</summary>
    private void CountTo(Counter counter, string[] labels, double value)
    {
        counter.WithLabels(labels).IncTo(value);
        Touch(counter, labels);
    }

    private void Touch(Collector collector, string[] labels)
    {
        if (!_touched.TryGetValue(collector, out var keys))
        {
            _touched[collector] = keys = new HashSet<string>(StringComparer.Ordinal);
        }

        keys.Add(string.Join('\0', labels));
    }

    /// <summary>Removes the series of interfaces (addresses, masters, trackers) this scrape did not find.</summary>
    private void RemoveUntouched(Collector collector)
    {
        _touched.TryGetValue(collector, out var keys);
        var (all, remove) = collector switch
        {
            Gauge g => (g.GetAllLabelValues(), (Action<string[]>)(l => g.RemoveLabelled(l))),
            Counter c => (c.GetAllLabelValues(), l => c.RemoveLabelled(l)),
            _ => throw new InvalidOperationException(collector.Name),
        };
        foreach (var labels in all.ToList())
        {
            if (keys is null || !keys.Contains(string.Join('\0', labels)))
            {
                remove(labels);
            }
        }
    }

    private static string StateLabel(CarpState state) => state switch
    {
        CarpState.Master => "master",
        CarpState.Backup => "backup",
        _ => "init",
    };
}
