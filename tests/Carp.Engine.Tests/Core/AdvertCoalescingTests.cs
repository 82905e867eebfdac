using System.Net.Sockets;
using Carp.Engine.Core;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>Periodic adverts due within the window share a timer pass and a batch (docs/protocol.md#advert-coalescing).</summary>
public sealed class AdvertCoalescingTests : IDisposable
{
    private readonly CoreHarness _h = new();

    public void Dispose() => _h.Dispose();

    /// <summary>carp1 MASTER from 0 s (adverts at 1 s, 2 s, …), carp2 MASTER from <paramref name="offset"/> s.</summary>
    private void TwoMasters(double offset)
    {
        _h.Add(Config("carp1", vhid: 1, addresses: "192.0.2.101/24"));
        _h.Add(Config("carp2", vhid: 2, addresses: "192.0.2.102/24"));
        _h.Node.Force("carp1", CarpState.Master);
        _h.At(offset);
        _h.Node.Force("carp2", CarpState.Master);
        _h.Output.Clear();
    }

    private string[] SentAt(double seconds)
    {
        _h.Output.Clear();
        _h.At(seconds);
        return _h.Output.Sent.Select(s => s.Host).ToArray();
    }

    [Fact]
    public void The_default_window_is_20_ms()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(20), _h.Node.AdvertCoalescing);
        Assert.Throws<ArgumentOutOfRangeException>(() => _h.Node.AdvertCoalescing = TimeSpan.FromMilliseconds(101));
        Assert.Throws<ArgumentOutOfRangeException>(() => _h.Node.AdvertCoalescing = TimeSpan.FromMilliseconds(-1));
    }

    [Fact]
    public void An_advert_due_within_the_window_leaves_early_with_the_earlier_one_and_stays_with_it()
    {
        TwoMasters(0.010);
        Assert.Equal(["carp1", "carp2"], SentAt(1.0));
        // Re-armed from the same pass: one wake-up for both from now on.
        Assert.Equal(_h.Node.Find("carp1")!.NextDeadline, _h.Node.Find("carp2")!.NextDeadline);
        Assert.Equal(["carp1", "carp2"], SentAt(2.0));
        Assert.Empty(SentAt(2.015));
    }

    [Fact]
    public void Beyond_the_window_an_advert_waits_for_its_deadline()
    {
        TwoMasters(0.030);
        Assert.Equal(["carp1"], SentAt(1.0));
        Assert.Equal(["carp2"], SentAt(1.030));
    }

    [Fact]
    public void With_a_zero_window_every_advert_leaves_at_its_own_deadline()
    {
        _h.Node.AdvertCoalescing = TimeSpan.Zero;
        TwoMasters(0.010);
        Assert.Equal(["carp1"], SentAt(1.0));
        Assert.Equal(["carp2"], SentAt(1.010));
    }

    [Fact]
    public void A_master_down_timer_never_fires_early()
    {
        // carp2 is BACKUP from 0 s (master-down at 3 s); carp1's advert falls due 5 ms before that.
        _h.Add(Config("carp2", vhid: 2, addresses: "192.0.2.102/24"));
        _h.At(1.995);
        _h.Add(Config("carp1", vhid: 1, addresses: "192.0.2.101/24"));
        _h.Node.Force("carp1", CarpState.Master);
        Assert.Equal(["carp1"], SentAt(2.995));
        Assert.Equal(CarpState.Backup, _h.Node.Find("carp2")!.State);
        _h.At(3.0);
        Assert.Equal(CarpState.Master, _h.Node.Find("carp2")!.State);
    }
}

/// <summary>An output that queues the periodic adverts of a pass, as the engine does on Linux.</summary>
public sealed class AdvertBatchTests : IDisposable
{
    private readonly CoreHarness _h = new();
    private readonly BatchingOutput _output = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void Queued_adverts_are_counted_when_the_batch_goes_out()
    {
        using var node = new CarpNode(_output, _h.Clock, random: new Random(1));
        node.AddDevice("eth0", linkUp: true, System.Net.IPAddress.Parse("192.0.2.1"));
        node.AddVirtualHost(Config("carp1", vhid: 1, addresses: "192.0.2.101/24"));
        node.Force("carp1", CarpState.Master);
        Assert.Equal([false], _output.Log.Select(l => l.Batched));
        _output.Log.Clear();

        _h.Clock.AdvanceTo(Ts(1.0));
        node.RunDueTimers();
        Assert.Equal([(true, "carp1")], _output.Log.Select(l => (l.Batched, l.Host)));
        Assert.Equal(2, node.Statistics[CarpStatistic.OPackets]);

        // Failing batches: onomem per advert, counted at the flush; three in a row demote (docs/protocol.md#send-errors).
        _output.FlushSucceeds = false;
        for (var t = 2; t <= 4; t++)
        {
            _h.Clock.AdvanceTo(Ts(t));
            node.RunDueTimers();
        }

        Assert.Equal(3, node.Statistics[CarpStatistic.ONoMem]);
        Assert.True(node.Sysctls.Demotion > 0);
        // The demotion is advertised at once, outside any batch.
        Assert.Equal(3, node.Statistics[CarpStatistic.OPackets]);
        Assert.False(_output.Log[^1].Batched);
    }

    [Fact]
    public void A_takeover_in_a_timer_pass_leaves_with_the_pass_and_is_never_early()
    {
        using var node = new CarpNode(_output, _h.Clock, random: new Random(1));
        node.AddDevice("eth0", linkUp: true, System.Net.IPAddress.Parse("192.0.2.1"));
        node.AddVirtualHost(Config("carp2", vhid: 2, addresses: "192.0.2.102/24"));
        node.AddVirtualHost(Config("carp3", vhid: 3, addresses: "192.0.2.103/24"));
        _h.Clock.AdvanceTo(Ts(1.995));
        node.AddVirtualHost(Config("carp1", vhid: 1, addresses: "192.0.2.101/24"));
        node.Force("carp1", CarpState.Master);
        _output.Log.Clear();

        // 2.999 s: carp1's periodic advert would be due at 2.995 s + 1 s, within the window, but no master-down is due yet.
        _h.Clock.AdvanceTo(Ts(2.999));
        node.RunDueTimers();
        Assert.Equal(CarpState.Backup, node.Find("carp2")!.State);
        Assert.DoesNotContain(_output.Log, l => l.Host != "carp1");

        // 3.0 s: carp2's and carp3's master-down fire in one pass: both takeover adverts join the pass's batch.
        _h.Clock.AdvanceTo(Ts(3.0));
        node.RunDueTimers();
        Assert.Equal([("carp2", true), ("carp3", true)], _output.Log.Where(l => l.Host != "carp1").Select(l => (l.Host, l.Batched)));
        Assert.Equal(CarpState.Master, node.Find("carp2")!.State);
        Assert.Equal(CarpState.Master, node.Find("carp3")!.State);

        // Outside a timer pass there is no batch: a forced takeover's advert leaves at once.
        node.Force("carp2", CarpState.Backup);
        _output.Log.Clear();
        node.Force("carp2", CarpState.Master);
        Assert.Equal([("carp2", false)], _output.Log.Select(l => (l.Host, l.Batched)));
    }

    private sealed class BatchingOutput : ICarpOutput
    {
        private bool _open;
        private int _queued;

        public List<(string Host, bool Batched)> Log { get; } = [];

        public bool FlushSucceeds { get; set; } = true;

        public bool SendAdvertisement(VirtualHost host, AddressFamily family, ReadOnlySpan<byte> carpHeader)
        {
            Log.Add((host.Name, _open));
            _queued += _open ? 1 : 0;
            return true;
        }

        public bool BeginAdvertBatch() => _open = true;

        public void FlushAdvertisements(Span<bool> sent)
        {
            Assert.Equal(_queued, sent.Length);
            sent.Fill(FlushSucceeds);
            (_open, _queued) = (false, 0);
        }

        public void SetAddresses(VirtualHost host, IReadOnlyList<CarpAddress> addresses, bool present)
        {
        }

        public void Announce(VirtualHost host)
        {
        }

        public void StateChanged(VirtualHost host, CarpState oldState, CarpState newState, TransitionReason reason)
        {
        }

        public void MaintenanceChanged(VirtualHost host, bool maintenance)
        {
        }

        public void DemotionChanged(VirtualHost host, byte oldAdvertisedAdvSkew, byte newAdvertisedAdvSkew, byte oldDemoteCount, byte newDemoteCount)
        {
        }

        public void BadPacket(CarpStatistic counter, string carpDev, byte vhid, string detail)
        {
        }
    }
}
