using System.Net.Sockets;
using Carp.Engine.Core;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>carpstats (docs/protocol.md#carpstats): output counters, preempt, the log sysctl's bad-packet reports, snapshot and reset.</summary>
public sealed class StatisticsTests : IDisposable
{
    private readonly CoreHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Counters_are_the_16_of_struct_carpstats_in_kernel_order()
    {
        CarpStatistic[] kernelOrder =
        [
            CarpStatistic.IPackets, CarpStatistic.IPackets6, CarpStatistic.BadIf, CarpStatistic.BadTtl, CarpStatistic.HdrOps,
            CarpStatistic.BadSum, CarpStatistic.BadVer, CarpStatistic.BadLen, CarpStatistic.BadAuth, CarpStatistic.BadVhid,
            CarpStatistic.BadAddrs, CarpStatistic.OPackets, CarpStatistic.OPackets6, CarpStatistic.ONoMem, CarpStatistic.OStates,
            CarpStatistic.Preempt,
        ];

        Assert.Equal(16, CarpStatistics.Count);
        Assert.Equal(Enumerable.Range(0, 16), kernelOrder.Select(s => (int)s));
        Assert.Equal(kernelOrder, Enum.GetValues<CarpStatistic>());
    }

    [Fact]
    public void Each_virtual_host_counts_its_own_adverts_sent_and_the_valid_ones_received()
    {
        var carp1 = _h.Add(Config(addresses: [Vip, Vip6]));
        _h.RunUntil(5);
        var carp2 = _h.Add(Config(name: "carp2", vhid: 2, advSkew: 100, addresses: "192.0.2.253/24"));
        _h.Receive(Packets.V4(Packets.Header(vhid: 2, addresses: "192.0.2.253/24")));
        _h.Receive(Packets.V4(Packets.Header(vhid: 2, pass: "wrong", addresses: "192.0.2.253/24"))); // badauth: not counted

        Assert.Equal(CarpState.Master, carp1.State);
        Assert.Equal((6L, 0L), (carp1.AdvertsSent, carp1.AdvertsReceived)); // 3 adverts × 2 families
        Assert.Equal((0L, 1L), (carp2.AdvertsSent, carp2.AdvertsReceived));
    }

    [Fact]
    public void Dual_stack_master_counts_one_opackets_and_one_opackets6_per_advert()
    {
        var host = _h.Add(Config(addresses: [Vip, Vip6]));

        _h.RunUntil(5);

        Assert.Equal(CarpState.Master, host.State);
        StatsAssert.Only(_h.Stats, (CarpStatistic.OPackets, 3), (CarpStatistic.OPackets6, 3), (CarpStatistic.Preempt, 1));
        Assert.Equal(
            [AddressFamily.InterNetwork, AddressFamily.InterNetworkV6, AddressFamily.InterNetwork, AddressFamily.InterNetworkV6,
             AddressFamily.InterNetwork, AddressFamily.InterNetworkV6],
            _h.Output.Sent.Select(s => s.Family));
        // Both families carry the same header (one HMAC context for both, docs/protocol.md#hmac-input).
        Assert.Equal(_h.Output.Sent[4].Header, _h.Output.Sent[5].Header);
    }

    [Theory]
    [InlineData(false, CarpStatistic.OPackets)]
    [InlineData(true, CarpStatistic.OPackets6)]
    public void Single_family_master_counts_only_its_family(bool v6, CarpStatistic counter)
    {
        _h.Add(Config(addresses: v6 ? Vip6 : Vip));

        _h.RunUntil(4);

        StatsAssert.Only(_h.Stats, (counter, 2), (CarpStatistic.Preempt, 1));
    }

    [Fact]
    public void Failed_send_counts_onomem_instead_of_opackets()
    {
        _h.Add(Config());
        _h.Output.SendSucceeds = false;

        _h.RunUntil(4);

        StatsAssert.Only(_h.Stats, (CarpStatistic.ONoMem, 2), (CarpStatistic.Preempt, 1));
        Assert.Equal(2, _h.Output.Sent.Count);

        _h.Output.SendSucceeds = true;
        _h.RunUntil(5);

        StatsAssert.Only(_h.Stats, (CarpStatistic.ONoMem, 2), (CarpStatistic.OPackets, 1), (CarpStatistic.Preempt, 1));
    }

    [Fact]
    public void Preempt_counts_every_transition_to_master_and_nothing_else()
    {
        var host = _h.Add(Config(advSkew: 100));
        Assert.Equal(0, _h.Stats.Preempt);

        _h.RunUntil(3.5);
        Assert.Equal(CarpState.Master, host.State);
        Assert.Equal(1, _h.Stats.Preempt);

        // A more frequent master: MASTER → BACKUP is not counted.
        _h.Receive(Packets.V4(Packets.Header(counter: 10)));
        Assert.Equal(CarpState.Backup, host.State);
        Assert.Equal(1, _h.Stats.Preempt);

        // It falls silent: master-down (3 s + 100/256 s) makes carp1 MASTER again.
        _h.RunUntil(3.5 + 3 + (100 / 256.0));
        Assert.Equal(CarpState.Master, host.State);
        Assert.Equal(TransitionReason.MasterDown, host.LastTransitionReason);
        Assert.Equal(2, _h.Stats.Preempt);

        // Forced BACKUP, then forced MASTER: one more.
        _h.Node.Force("carp1", CarpState.Backup);
        Assert.Equal(2, _h.Stats.Preempt);
        _h.Node.Force("carp1", CarpState.Master);
        Assert.Equal(3, _h.Stats.Preempt);

        // A bow-out advert from a master makes this BACKUP take over at once.
        _h.Node.Force("carp1", CarpState.Backup);
        _h.Receive(Packets.V4(Packets.Header(advBase: 255, advSkew: 255, counter: 20)));
        Assert.Equal(CarpState.Master, host.State);
        Assert.Equal(TransitionReason.MasterWillTimeOut, host.LastTransitionReason);
        Assert.Equal(4, _h.Stats.Preempt);
    }

    [Fact]
    public void Preempt_sysctl_takeover_is_counted()
    {
        _h.Node.SetSysctl("preempt", 1);
        var host = _h.Add(Config(advSkew: 0));
        _h.At(1);

        _h.Receive(Packets.V4(Packets.Header(advSkew: 50)));

        Assert.Equal(CarpState.Master, host.State);
        Assert.Equal(TransitionReason.Preempt, host.LastTransitionReason);
        Assert.Equal(1, _h.Stats.Preempt);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(2, true)]
    [InlineData(7, true)]
    public void Bad_packets_are_reported_only_when_log_is_2_or_more(int log, bool reported)
    {
        _h.Node.SetSysctl("log", log);
        _h.Add(Config());
        var eth1 = _h.Node.AddDevice("eth1", linkUp: true, Eth1V4, Eth1V6);
        _h.Output.Clear();

        _h.Receive(Packets.V4(Packets.Header(pass: "wrong")));
        _h.Receive(Packets.V4(Packets.Header(vhid: 42)));
        _h.Receive(Packets.V4(Packets.Header()), eth1);
        _h.Receive(Packets.V4(Packets.Header()));

        Assert.Equal(1, _h.Stats.BadAuth);
        Assert.Equal(1, _h.Stats.BadVhid);
        Assert.Equal(1, _h.Stats.BadIf);
        if (reported)
        {
            Assert.Equal(
                [(CarpStatistic.BadAuth, "eth0", (byte)1), (CarpStatistic.BadVhid, "eth0", (byte)42), (CarpStatistic.BadIf, "eth1", (byte)0)],
                _h.Output.BadPackets.Select(b => (b.Counter, b.CarpDev, b.Vhid)));
            Assert.All(_h.Output.BadPackets, b => Assert.False(string.IsNullOrWhiteSpace(b.Detail)));
        }
        else
        {
            Assert.Empty(_h.Output.BadPackets);
        }

        Assert.Equal(0, _h.Output.TotalCalls - _h.Output.BadPackets.Count);
    }

    [Fact]
    public void Snapshot_is_a_copy_and_names_every_counter()
    {
        var stats = new CarpStatistics();
        foreach (var s in Enum.GetValues<CarpStatistic>())
        {
            for (var i = 0; i <= (int)s; i++)
            {
                stats.Increment(s);
            }
        }

        var snapshot = stats.Snapshot();
        stats.Increment(CarpStatistic.IPackets);

        Assert.Equal(Enumerable.Range(1, 16).Select(i => (long)i), snapshot.Values);
        Assert.Equal(2, stats[CarpStatistic.IPackets]);
        Assert.Equal(1, snapshot.IPackets);
        long[] named =
        [
            snapshot.IPackets, snapshot.IPackets6, snapshot.BadIf, snapshot.BadTtl, snapshot.HdrOps, snapshot.BadSum, snapshot.BadVer,
            snapshot.BadLen, snapshot.BadAuth, snapshot.BadVhid, snapshot.BadAddrs, snapshot.OPackets, snapshot.OPackets6, snapshot.ONoMem,
            snapshot.OStates, snapshot.Preempt,
        ];
        Assert.Equal(snapshot.Values, named);
        Assert.All(Enum.GetValues<CarpStatistic>(), s => Assert.Equal((int)s + 1, snapshot[s]));
    }

    [Fact]
    public void Reset_zeroes_every_counter_but_not_earlier_snapshots()
    {
        var stats = new CarpStatistics();
        foreach (var s in Enum.GetValues<CarpStatistic>())
        {
            stats.Increment(s);
        }

        var before = stats.Snapshot();
        stats.Reset();

        Assert.All(stats.Snapshot().Values, v => Assert.Equal(0, v));
        Assert.All(before.Values, v => Assert.Equal(1, v));
        stats.Increment(CarpStatistic.BadAuth);
        Assert.Equal(1, stats[CarpStatistic.BadAuth]);
    }

    [Fact]
    public void Node_statistics_reset_while_running()
    {
        _h.Add(Config());
        _h.RunUntil(4);
        _h.Receive(Packets.V4(Packets.Header(pass: "x")));
        Assert.NotEqual(0, _h.Stats.Values.Sum());

        _h.Node.Statistics.Reset();

        StatsAssert.Only(_h.Stats);
        _h.RunUntil(5);
        StatsAssert.Only(_h.Stats, (CarpStatistic.OPackets, 1));
    }

    [Fact]
    public void Snapshot_constructor_copies_and_checks_its_input()
    {
        var values = new long[16];
        values[3] = 9;
        var snapshot = new CarpStatisticsSnapshot(values);
        values[3] = 0;

        Assert.Equal(9, snapshot.BadTtl);
        Assert.Throws<ArgumentException>(() => new CarpStatisticsSnapshot(new long[15]));
        Assert.Throws<ArgumentException>(() => new CarpStatisticsSnapshot(new long[17]));
    }

    [Fact]
    public void Counters_are_exact_under_concurrent_increments()
    {
        var stats = new CarpStatistics();
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                stats.Increment(CarpStatistic.IPackets);
            }
        });

        Assert.Equal(80_000, stats[CarpStatistic.IPackets]);
    }
}
