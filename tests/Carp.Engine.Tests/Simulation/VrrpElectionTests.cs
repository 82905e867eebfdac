using Carp.Engine.Core;
using Carp.Engine.Simulation;
using static Carp.Engine.Tests.Simulation.ScenarioBuilder;

namespace Carp.Engine.Tests.Simulation;

/// <summary>VRRPv3 on the simulated LAN (docs/protocol.md#vrrp): the same simulator and core that run CARP, unchanged.</summary>
public sealed class VrrpElectionTests
{
    private static VirtualHostConfig Router(byte priority, ushort interval = 10, bool preempt = true, string address = Vip) => new()
    {
        Name = "vrrp1",
        Vhid = 1,
        CarpDev = "eth0",
        Protocol = VirtualHostProtocol.Vrrp,
        Priority = priority,
        Interval = interval,
        Preempt = preempt,
        Addresses = [CarpAddress.Parse(address)],
    };

    private static TimeSpan Micro(long microseconds) => TimeSpan.FromTicks(microseconds * 10);

    [Fact]
    public void The_highest_priority_is_elected_whatever_the_order_of_start()
    {
        var (lan, _, hosts) = Lan(3);
        hosts[0].Add(Router(100));
        hosts[1].Add(Router(200));
        hosts[2].Add(Router(150));

        lan.RunFor(TimeSpan.FromSeconds(2));

        Assert.Equal([CarpState.Backup, CarpState.Master, CarpState.Backup], hosts.Select(h => h["vrrp1"].State));
        Assert.Equal(1, Masters(hosts, "vrrp1"));
        Assert.Contains(System.Net.IPAddress.Parse("192.0.2.254"), hosts[1].PresentAddresses);
        Assert.All(new[] { hosts[0], hosts[2] }, h => Assert.Empty(h.PresentAddresses));
        Assert.Equal((byte)200, hosts[0]["vrrp1"].MasterSeenPriority);
    }

    [Fact]
    public void Equal_priorities_elect_the_higher_primary_address()
    {
        var (lan, _, hosts) = Lan(2);
        hosts[0].Add(Router(100));
        hosts[1].Add(Router(100));

        lan.RunFor(TimeSpan.FromSeconds(2));

        Assert.Equal(CarpState.Master, hosts[1]["vrrp1"].State); // 192.0.2.2 > 192.0.2.1
        Assert.Equal(1, Masters(hosts, "vrrp1"));
    }

    [Fact]
    public void Master_down_at_100_ms_is_three_intervals_plus_the_skew_after_the_last_advert()
    {
        var (lan, _, hosts) = Lan(2);
        hosts[0].Add(Router(200));
        hosts[1].Add(Router(100));
        lan.RunFor(TimeSpan.FromSeconds(2));
        Assert.Equal(CarpState.Master, hosts[0]["vrrp1"].State);

        hosts[0].Crash();
        var crashedAt = lan.Now;
        var lastAdvert = lan.Timeline.Last(e => e.Host == "one" && e.Kind == SimulationEventKind.Advertisement).At;

        Assert.True(lan.RunUntil(() => hosts[1]["vrrp1"].State == CarpState.Master, TimeSpan.FromSeconds(2)));
        var takeover = BecameMaster(lan, "two", crashedAt)!;
        Assert.Equal(TransitionReason.MasterDown, takeover.Reason);
        // 3 × 100 ms + (256 − 100) × 100 ms / 256 = 360.9375 ms: a client loses the gateway for about a third of a second.
        Assert.Equal(Micro(360_937), takeover.At - lastAdvert);
    }

    [Fact]
    public void A_master_that_leaves_hands_over_after_the_backups_skew_time_alone()
    {
        var (lan, _, hosts) = Lan(2);
        hosts[0].Add(Router(200));
        hosts[1].Add(Router(100));
        lan.RunFor(TimeSpan.FromSeconds(2));

        var leftAt = lan.Now;
        hosts[0].Node.RemoveVirtualHost("vrrp1");

        Assert.True(lan.RunUntil(() => hosts[1]["vrrp1"].State == CarpState.Master, TimeSpan.FromSeconds(2)));
        var takeover = BecameMaster(lan, "two", leftAt)!;
        Assert.Equal(Micro(VrrpTiming.Skew(100, 10)), takeover.At - leftAt); // 60.9375 ms, not 360.9375 ms
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_returning_higher_priority_router_takes_over_only_with_preempt(bool preempt)
    {
        var (lan, _, hosts) = Lan(2);
        var preferred = Router(200, preempt: preempt);
        hosts[0].Add(preferred);
        hosts[1].Add(Router(100, preempt: preempt));
        lan.RunFor(TimeSpan.FromSeconds(2));
        hosts[0].Crash();
        lan.RunFor(TimeSpan.FromSeconds(2));
        Assert.Equal(CarpState.Master, hosts[1]["vrrp1"].State);

        var restartedAt = lan.Now;
        hosts[0].Restart([preferred]);
        lan.RunFor(TimeSpan.FromSeconds(2));

        Assert.Equal(preempt ? CarpState.Master : CarpState.Backup, hosts[0]["vrrp1"].State);
        Assert.Equal(preempt ? CarpState.Backup : CarpState.Master, hosts[1]["vrrp1"].State);
        Assert.Equal(1, Masters(hosts, "vrrp1"));
        if (preempt)
        {
            // It ignores the lower-priority master and takes over when its own master-down (321.875 ms) runs out; the
            // old master then yields to its higher priority.
            var takeover = BecameMaster(lan, "one", restartedAt)!;
            Assert.Equal(TransitionReason.MasterDown, takeover.Reason);
            Assert.Equal(Micro(VrrpTiming.MasterDown(200, 10)), takeover.At - restartedAt);
            var yielded = lan.Timeline.Single(e => e.Host == "two" && e.At >= restartedAt && e.Kind == SimulationEventKind.StateChanged);
            Assert.Equal(TransitionReason.HigherPriorityMaster, yielded.Reason);
        }
    }

    [Fact]
    public void A_backup_takes_the_masters_slower_interval()
    {
        var (lan, _, hosts) = Lan(2);
        hosts[0].Add(Router(200, interval: 100));
        hosts[1].Add(Router(100, interval: 10));
        lan.RunFor(TimeSpan.FromSeconds(6));

        Assert.Equal(CarpState.Master, hosts[0]["vrrp1"].State);
        Assert.Equal(CarpState.Backup, hosts[1]["vrrp1"].State);
        Assert.Equal(100, hosts[1]["vrrp1"].MasterAdverInterval);
    }

    [Fact]
    public void An_ipv6_pair_elects_by_priority_too()
    {
        var (lan, _, hosts) = Lan(2);
        hosts[0].Add(Router(100, address: "2001:db8::254/64"));
        hosts[1].Add(Router(50, address: "2001:db8::254/64"));

        lan.RunFor(TimeSpan.FromSeconds(2));

        Assert.Equal([CarpState.Master, CarpState.Backup], hosts.Select(h => h["vrrp1"].State));
        Assert.Equal(1, Masters(hosts, "vrrp1"));
    }
}
