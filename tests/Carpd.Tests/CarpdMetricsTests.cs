using System.Net;
using System.Text.RegularExpressions;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Carpd.Metrics;

namespace Carpd.Tests;

/// <summary>carpd's Prometheus collector against a service whose state each test sets: what a scrape says, and how it moves.</summary>
public sealed partial class CarpdMetricsTests : IDisposable
{
    private readonly StubService _engine = new();
    private readonly TransitionTally _tally;
    private readonly CarpdMetrics _metrics;
    private IReadOnlyList<TrackerMetric> _trackers = [];

    public CarpdMetricsTests()
    {
        _tally = new TransitionTally(_engine);
        _metrics = new CarpdMetrics(_engine, _tally, () => _trackers, DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));
    }

    public void Dispose()
    {
        _metrics.Dispose();
        _tally.Dispose();
    }

    private const string Carp1 = "interface=\"carp1\",vhid=\"1\",carpdev=\"eth0\",protocol=\"carp\"";

    [Fact]
    public async Task A_scrape_shows_up_build_info_and_each_vhost_state_as_one_series_per_state()
    {
        _engine.Interfaces = [Status("carp1", 1, CarpState.Backup) with
        {
            AdvSkew = 100, AdvertisedAdvSkew = 240, DemoteCount = 1, MasterSeen = IPAddress.Parse("192.0.2.2"), Announcements = 7, OtherMastersSeen = 2, TrackerDemotion = 40, AdvertsSent = 11, AdvertsReceived = 13,
        }];
        var text = await _metrics.ScrapeAsync(TestContext.Current.CancellationToken);

        Assert.Equal(1, Value(text, "carp_up"));
        Assert.Matches(@"carp_build_info\{version=""[^""]+"",protocol=""1"",runtime="".NET [^""]+""\} 1", text);
        Assert.Equal(1_700_000_000, Value(text, "carp_start_time_seconds"));
        Assert.Equal(0, Value(text, $"carp_vhost_state{{{Carp1},state=\"init\"}}"));
        Assert.Equal(1, Value(text, $"carp_vhost_state{{{Carp1},state=\"backup\"}}"));
        Assert.Equal(0, Value(text, $"carp_vhost_state{{{Carp1},state=\"master\"}}"));
        Assert.Equal(1, Value(text, $"carp_vhost_state_code{{{Carp1}}}"));
        Assert.Equal(100, Value(text, $"carp_vhost_advskew{{{Carp1}}}"));
        Assert.Equal(240, Value(text, $"carp_vhost_advertised_advskew{{{Carp1}}}"));
        Assert.Equal(1, Value(text, $"carp_vhost_demotion{{{Carp1}}}"));
        Assert.Equal(1, Value(text, $"carp_vhost_advert_interval_seconds{{{Carp1}}}"));
        Assert.Equal(0, Value(text, $"carp_vhost_maintenance{{{Carp1}}}"));
        Assert.Equal(1, Value(text, $"carp_vhost_master_info{{{Carp1},master=\"192.0.2.2\"}}"));
        Assert.Equal(1, Value(text, $"carp_vhost_address_info{{{Carp1},address=\"192.0.2.100/24\"}}"));
        Assert.Equal(7, Value(text, $"carp_vhost_announcements_total{{{Carp1}}}"));
        Assert.Equal(11, Value(text, $"carp_vhost_adverts_sent_total{{{Carp1}}}"));
        Assert.Equal(13, Value(text, $"carp_vhost_adverts_received_total{{{Carp1}}}"));
        Assert.Equal(40, Value(text, $"carp_vhost_tracker_demotion{{{Carp1}}}"));
        Assert.Equal(0, Value(text, $"carp_vhost_tracker_fault{{{Carp1}}}"));
        Assert.Equal(2, Value(text, $"carp_vhost_other_masters_seen_total{{{Carp1}}}"));
        Assert.Equal(1, Value(text, "carp_sysctl{name=\"allow\"}"));
        Assert.Equal(240, Value(text, "carp_sysctl{name=\"ifdown_demotion_factor\"}"));
        Assert.DoesNotContain("carp_vhost_priority{", text, StringComparison.Ordinal); // CARP has none
        Assert.DoesNotContain("lanpasswd", text, StringComparison.Ordinal);
        Assert.DoesNotContain("process_", text, StringComparison.Ordinal); // a registry of its own: no default process metrics
        Assert.DoesNotContain("dotnet_", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_VRRP_vhost_shows_its_priority_and_interval_and_maintenance_and_the_last_transition()
    {
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1_700_000_123_500);
        _engine.Interfaces = [Status("vrrp1", 10, CarpState.Master) with
        {
            Protocol = VirtualHostProtocol.Vrrp, Priority = 200, AdvertisedPriority = 150, Interval = 10, Maintenance = true, LastTransition = at, LastTransitionReason = TransitionReason.MasterDown,
        }];
        var text = await _metrics.ScrapeAsync(TestContext.Current.CancellationToken);
        const string vrrp1 = "interface=\"vrrp1\",vhid=\"10\",carpdev=\"eth0\",protocol=\"vrrp\"";
        Assert.Equal(200, Value(text, $"carp_vhost_priority{{{vrrp1}}}"));
        Assert.Equal(150, Value(text, $"carp_vhost_advertised_priority{{{vrrp1}}}"));
        Assert.Equal(0.1, Value(text, $"carp_vhost_advert_interval_seconds{{{vrrp1}}}"));
        Assert.Equal(1, Value(text, $"carp_vhost_maintenance{{{vrrp1}}}"));
        Assert.Equal(2, Value(text, $"carp_vhost_state_code{{{vrrp1}}}"));
        Assert.Equal(1_700_000_123.5, Value(text, $"carp_vhost_last_transition_timestamp_seconds{{{vrrp1}}}"));
        Assert.DoesNotContain("carp_vhost_advskew{", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transitions_are_counted_by_reason_from_the_engine_events()
    {
        _engine.Interfaces = [Status("carp1", 1, CarpState.Master)];
        _engine.Raise(Changed("carp1", 1, CarpState.Init, CarpState.Backup, TransitionReason.Started));
        _engine.Raise(Changed("carp1", 1, CarpState.Backup, CarpState.Master, TransitionReason.MasterDown));
        _engine.Raise(Changed("carp2", 2, CarpState.Init, CarpState.Backup, TransitionReason.Started));
        var text = await _metrics.ScrapeAsync(TestContext.Current.CancellationToken);
        Assert.Equal(1, Value(text, $"carp_vhost_transitions_total{{{Carp1},reason=\"Started\"}}"));
        Assert.Equal(1, Value(text, $"carp_vhost_transitions_total{{{Carp1},reason=\"MasterDown\"}}"));
        Assert.DoesNotContain("interface=\"carp2\"", text, StringComparison.Ordinal); // not running: no series

        _engine.Raise(Changed("carp1", 1, CarpState.Master, CarpState.Backup, TransitionReason.Preempt));
        _engine.Raise(Changed("carp1", 1, CarpState.Backup, CarpState.Master, TransitionReason.MasterDown));
        text = await _metrics.ScrapeAsync(TestContext.Current.CancellationToken);
        Assert.Equal(2, Value(text, $"carp_vhost_transitions_total{{{Carp1},reason=\"MasterDown\"}}"));
        Assert.Equal(1, Value(text, $"carp_vhost_transitions_total{{{Carp1},reason=\"Preempt\"}}"));
    }

    [Fact]
    public async Task Every_carpstats_counter_is_exported_and_a_reset_never_lowers_a_counter()
    {
        long[] values = new long[CarpStatistics.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = 10 + i;
        }

        _engine.Statistics = new CarpStatisticsSnapshot(values, captureDrops: 7);
        var text = await _metrics.ScrapeAsync(TestContext.Current.CancellationToken);
        Assert.Equal(10, Value(text, "carp_adverts_received_total{family=\"ipv4\"}"));
        Assert.Equal(11, Value(text, "carp_adverts_received_total{family=\"ipv6\"}"));
        Assert.Equal(21, Value(text, "carp_adverts_sent_total{family=\"ipv4\"}"));
        Assert.Equal(22, Value(text, "carp_adverts_sent_total{family=\"ipv6\"}"));
        foreach (var (reason, statistic) in new[] { ("badif", CarpStatistic.BadIf), ("badttl", CarpStatistic.BadTtl), ("hdrops", CarpStatistic.HdrOps),
                     ("badsum", CarpStatistic.BadSum), ("badver", CarpStatistic.BadVer), ("badlen", CarpStatistic.BadLen), ("badauth", CarpStatistic.BadAuth),
                     ("badvhid", CarpStatistic.BadVhid), ("badaddrs", CarpStatistic.BadAddrs) })
        {
            Assert.Equal(10 + (int)statistic, Value(text, $"carp_packets_dropped_total{{reason=\"{reason}\"}}"));
        }

        Assert.Equal(23, Value(text, "carp_adverts_send_failed_total"));
        Assert.Equal(24, Value(text, "carp_state_updates_sent_total"));
        Assert.Equal(25, Value(text, "carp_preemptions_total"));
        Assert.Equal(7, Value(text, "carp_capture_dropped_frames_total"));

        // resetStatistics: carpstats start again from 0; the counters go on from where they were.
        values = new long[CarpStatistics.Count];
        values[(int)CarpStatistic.BadAuth] = 3;
        _engine.Statistics = new CarpStatisticsSnapshot(values, captureDrops: 1);
        text = await _metrics.ScrapeAsync(TestContext.Current.CancellationToken);
        Assert.Equal(18 + 3, Value(text, "carp_packets_dropped_total{reason=\"badauth\"}"));
        Assert.Equal(10, Value(text, "carp_adverts_received_total{family=\"ipv4\"}"));
        Assert.Equal(8, Value(text, "carp_capture_dropped_frames_total"));
    }

    [Fact]
    public async Task The_series_of_a_removed_interface_and_of_a_master_no_longer_seen_disappear()
    {
        _engine.Interfaces = [Status("carp1", 1, CarpState.Backup) with { MasterSeen = IPAddress.Parse("192.0.2.2") }, Status("carp2", 2, CarpState.Master)];
        var text = await _metrics.ScrapeAsync(TestContext.Current.CancellationToken);
        Assert.Contains("interface=\"carp2\"", text, StringComparison.Ordinal);

        _engine.Interfaces = [Status("carp1", 1, CarpState.Backup) with { MasterSeen = IPAddress.Parse("192.0.2.3") }];
        text = await _metrics.ScrapeAsync(TestContext.Current.CancellationToken);
        Assert.DoesNotContain("interface=\"carp2\"", text, StringComparison.Ordinal);
        Assert.DoesNotContain("master=\"192.0.2.2\"", text, StringComparison.Ordinal);
        Assert.Equal(1, Value(text, $"carp_vhost_master_info{{{Carp1},master=\"192.0.2.3\"}}"));
    }

    [Fact]
    public async Task Carp_up_is_0_when_the_engine_does_not_answer()
    {
        _engine.Interfaces = [Status("carp1", 1, CarpState.Master)];
        Assert.Equal(1, Value(await _metrics.ScrapeAsync(TestContext.Current.CancellationToken), "carp_up"));
        _engine.Down = true;
        var text = await _metrics.ScrapeAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, Value(text, "carp_up"));
        Assert.Contains("carp_build_info{", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Trackers_from_the_source_become_carp_tracker_up_and_go_when_the_source_drops_them()
    {
        _trackers = [new TrackerMetric("uplink", true, "carp1"), new TrackerMetric("dns", false)];
        var text = await _metrics.ScrapeAsync(TestContext.Current.CancellationToken);
        Assert.Equal(1, Value(text, "carp_tracker_up{tracker=\"uplink\",interface=\"carp1\"}"));
        Assert.Equal(0, Value(text, "carp_tracker_up{tracker=\"dns\",interface=\"\"}"));
        _trackers = [new TrackerMetric("uplink", false, "carp1")];
        text = await _metrics.ScrapeAsync(TestContext.Current.CancellationToken);
        Assert.Equal(0, Value(text, "carp_tracker_up{tracker=\"uplink\",interface=\"carp1\"}"));
        Assert.DoesNotContain("tracker=\"dns\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Metric_names_follow_Prometheus_conventions()
    {
        _engine.Interfaces = [Status("carp1", 1, CarpState.Master) with { LastTransition = DateTimeOffset.UnixEpoch, MasterSeen = IPAddress.Loopback }];
        _engine.Raise(Changed("carp1", 1, CarpState.Init, CarpState.Backup, TransitionReason.Started));
        var text = await _metrics.ScrapeAsync(TestContext.Current.CancellationToken);
        var types = TypeLine().Matches(text).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        Assert.True(types.Count >= 24, $"only {types.Count} metrics");
        foreach (var (name, type) in types)
        {
            Assert.Matches("^carp_[a-z0-9_]+$", name);
            Assert.Equal(type == "counter", name.EndsWith("_total", StringComparison.Ordinal));
            Assert.Contains($"# HELP {name} ", text, StringComparison.Ordinal);
        }
    }

    [GeneratedRegex(@"^# TYPE (\S+) (\S+)$", RegexOptions.Multiline)]
    private static partial Regex TypeLine();

    /// <summary>The value of the one sample whose name and labels are exactly <paramref name="series"/>.</summary>
    internal static double Value(string text, string series)
    {
        var line = text.Split('\n').SingleOrDefault(l => l.StartsWith(series + " ", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"no sample {series} in:\n{text}");
        return double.Parse(line[(series.Length + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static VirtualHostStatus Status(string name, byte vhid, CarpState state) => VirtualHostStatus.Of(new VirtualHostConfig
    {
        Name = name,
        Vhid = vhid,
        CarpDev = "eth0",
        Key = CarpKey.FromPassphrase("lanpasswd"),
        Addresses = [CarpAddress.Parse("192.0.2.100/24")],
    }, state);

    private static CarpStateChangedEvent Changed(string name, byte vhid, CarpState from, CarpState to, TransitionReason reason) => new()
    {
        Timestamp = DateTimeOffset.UtcNow, Interface = name, Vhid = vhid, OldState = from, NewState = to, Reason = reason,
    };

    /// <summary>An engine whose answers the test sets; <see cref="Down"/> makes it refuse as a stopped engine does.</summary>
    private sealed class StubService : ICarpService
    {
        private readonly List<Action<CarpEvent>> _handlers = [];

        public IReadOnlyList<VirtualHostStatus> Interfaces { get; set; } = [];

        public CarpStatisticsSnapshot Statistics { get; set; } = new(new long[CarpStatistics.Count]);

        public bool Down { get; set; }

        public void Raise(CarpEvent carpEvent) => _handlers.ForEach(h => h(carpEvent));

        public IReadOnlyList<VirtualHostStatus> GetInterfaces() => Down ? throw new ObjectDisposedException("engine") : Interfaces;

        public CarpSysctls GetSysctls() => CarpSysctls.Default;

        public CarpStatisticsSnapshot GetStatistics() => Statistics;

        public IDisposable Subscribe(Action<CarpEvent> handler)
        {
            _handlers.Add(handler);
            return this;
        }

        public VirtualHostStatus CreateInterface(VirtualHostConfig config) => throw new NotSupportedException();

        public VirtualHostStatus SetInterface(string name, InterfaceChange change) => throw new NotSupportedException();

        public void RemoveInterface(string name) => throw new NotSupportedException();

        public bool PassMatches(string name, CarpKey pass) => throw new NotSupportedException();

        public CarpSysctls SetSysctl(string name, long value) => throw new NotSupportedException();

        public void ResetStatistics() => throw new NotSupportedException();

        public void Dispose()
        {
        }
    }
}
