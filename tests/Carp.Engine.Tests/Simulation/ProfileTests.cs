using Carp.Engine.Core;
using Carp.Engine.Simulation;
using static Carp.Engine.Tests.Simulation.ScenarioBuilder;

namespace Carp.Engine.Tests.Simulation;

public class ProfileTests
{
    [Fact]
    public void Equal_intervals_under_kernel_rules_settle_on_one_master_when_timing_differs()
    {
        var (lan, link, hosts) = Lan(2, seed: 3);
        link.Delay = TimeSpan.FromMilliseconds(0.2);
        link.Jitter = TimeSpan.FromMilliseconds(5);
        hosts[0].Add(Vhost(advSkew: 0));
        hosts[1].Add(Vhost(advSkew: 0));

        lan.RunFor(TimeSpan.FromSeconds(60));

        Assert.Equal(1, Masters(hosts));
    }

    [Fact]
    public void Equal_intervals_under_kernel_rules_both_masters_yield_to_each_other()
    {
        // Simultaneous masters with equal intervals: the receiving master yields (docs/protocol.md#transitions), so both do.
        var (lan, _, hosts) = Lan(2);
        hosts[0].Add(Vhost(advSkew: 0));
        hosts[1].Add(Vhost(advSkew: 0));

        lan.RunUntil(() => lan.Timeline.Count(e => e.Kind == SimulationEventKind.StateChanged && e.NewState == CarpState.Master) == 2, TimeSpan.FromSeconds(5));
        lan.RunFor(TimeSpan.FromMilliseconds(1));

        Assert.All(hosts, h => Assert.Equal(CarpState.Backup, h["carp1"].State));
        Assert.All(hosts, h => Assert.Equal(TransitionReason.MoreFrequentMaster, h["carp1"].LastTransitionReason));
    }

    [Fact]
    public void Equal_intervals_under_ucarp_rules_keep_the_master_whose_address_is_lower_as_a_little_endian_integer()
    {
        var lan = new SimulatedLan();
        var link = lan.AddLink();
        // 10.99.1.1 vs 10.99.0.2: ucarp on x86 kept 10.99.1.1 (docs/protocol.md#transitions, verified). Documentation addresses with the same shape:
        var high = lan.AddHost("high");
        high.Connect(link, "eth0", "192.0.3.1");
        var low = lan.AddHost("low");
        low.Connect(link, "eth0", "192.0.2.2");
        high.Add(Vhost(profile: CompatibilityProfile.Ucarp));
        low.Add(Vhost(profile: CompatibilityProfile.Ucarp));

        lan.RunFor(TimeSpan.FromSeconds(10));

        Assert.Equal(CarpState.Master, high["carp1"].State);
        Assert.Equal(CarpState.Backup, low["carp1"].State);
        Assert.True(high.Announcements >= 2, "the master that keeps its role re-announces (docs/protocol.md#ucarp-state-machine)");
    }

    [Fact]
    public void OpenBsd_regress_carp_1_demote_on_the_master_swaps_roles_within_a_tenth_of_a_second()
    {
        var (lan, _, hosts) = Lan(2);
        var profile = CompatibilityProfile.OpenBsd;
        hosts[0].Add(Vhost(vhid: 251, pass: "", profile: profile) with { Groups = ["carpregressa"], Addresses = [CarpAddress.Parse("192.0.2.100/24")] });
        hosts[1].Add(Vhost(vhid: 251, pass: "", advSkew: 100, profile: profile) with { Groups = ["carpregressb"], Addresses = [CarpAddress.Parse("192.0.2.100/24")] });

        lan.RunFor(TimeSpan.FromSeconds(3.1));
        Assert.Equal(CarpState.Master, hosts[0]["carp1"].State);
        Assert.Equal(CarpState.Backup, hosts[1]["carp1"].State);

        hosts[0].Node.AdjustGroupDemote("carpregressa", +1);
        lan.RunFor(TimeSpan.FromSeconds(0.1));

        Assert.Equal(CarpState.Backup, hosts[0]["carp1"].State);
        Assert.Equal(CarpState.Master, hosts[1]["carp1"].State);
        Assert.Equal(TransitionReason.RemoteDemoted, hosts[1]["carp1"].LastTransitionReason);
        Assert.Equal(1, hosts[0]["carp1"].DemoteCount);
    }

    [Fact]
    public void FreeBsd_ignores_the_demote_byte()
    {
        var (lan, _, hosts) = Lan(2);
        hosts[0].Add(Vhost(profile: CompatibilityProfile.OpenBsd) with { Groups = ["lan"] });
        hosts[1].Add(Vhost(advSkew: 100, profile: CompatibilityProfile.FreeBsd));
        lan.RunFor(TimeSpan.FromSeconds(5));

        hosts[0].Node.AdjustGroupDemote("lan", +5);
        lan.RunFor(TimeSpan.FromSeconds(5));

        Assert.Equal(CarpState.Master, hosts[0]["carp1"].State);
        Assert.Equal(CarpState.Backup, hosts[1]["carp1"].State);
    }

    [Fact]
    public void FreeBsd_negative_demotion_clamps_advskew_at_zero_and_never_makes_two_masters()
    {
        var (lan, _, hosts) = Lan(2, preempt: true);
        hosts[0].Add(Vhost(advSkew: 0));
        hosts[1].Add(Vhost(advSkew: 100));
        lan.RunFor(TimeSpan.FromSeconds(5));
        Assert.Equal(1, Masters(hosts));

        hosts[0].Node.SetSysctl("net.inet.carp.demotion", -1);
        var twoMasters = false;
        lan.RunUntil(() => twoMasters |= Masters(hosts) > 1, TimeSpan.FromSeconds(3));

        Assert.False(twoMasters);
        Assert.Equal(0, hosts[0]["carp1"].AdvertisedAdvSkew);
        Assert.Equal(CarpState.Master, hosts[0]["carp1"].State);
    }

    [Theory]
    [InlineData("FreeBSD")]
    [InlineData("Classic")]
    public void A_failed_carpdev_moves_every_vhid_to_the_peer_with_preempt(string profileName)
    {
        // The seed's two firewalls: LAN and WAN vhids; the master's WAN cable is pulled.
        var profile = CompatibilityProfile.Find(profileName)!;
        var lan = new SimulatedLan();
        var inside = lan.AddLink("lan");
        var outside = lan.AddLink("wan");
        var fw = new[] { lan.AddHost("fw1", CarpSysctls.Default with { Preempt = true }), lan.AddHost("fw2", CarpSysctls.Default with { Preempt = true }) };
        for (var i = 0; i < 2; i++)
        {
            fw[i].Connect(inside, "em0", $"192.0.2.{i + 1}");
            fw[i].Connect(outside, "em1", $"198.51.100.{i + 1}");
            var skew = (byte)(i == 0 ? 0 : 128);
            fw[i].Add(Vhost(skew, "lanpasswd", vhid: 1, profile: profile, name: "carp1", device: "em0", addresses: ["192.0.2.100/24"]));
            fw[i].Add(Vhost(skew, "wanpasswd", vhid: 2, profile: profile, name: "carp2", device: "em1", addresses: ["198.51.100.100/24"]));
        }

        lan.RunFor(TimeSpan.FromSeconds(5));
        Assert.Equal(CarpState.Master, fw[0]["carp1"].State);
        Assert.Equal(CarpState.Master, fw[0]["carp2"].State);

        fw[0].SetLinkState("em1", up: false);
        lan.RunFor(TimeSpan.FromSeconds(5));

        Assert.Equal(CarpState.Init, fw[0]["carp2"].State);
        Assert.Equal(CarpState.Backup, fw[0]["carp1"].State);
        Assert.Equal(CarpState.Master, fw[1]["carp1"].State);
        Assert.Equal(CarpState.Master, fw[1]["carp2"].State);
        Assert.Equal(240, fw[0]["carp1"].AdvertisedAdvSkew);
        if (profile.Demotion == DemotionStyle.SuppressPreempt)
        {
            Assert.Equal(1, fw[0].Node.Sysctls.SuppressPreempt);
        }
        else
        {
            Assert.Equal(240, fw[0].Node.Sysctls.Demotion);
        }

        fw[0].SetLinkState("em1", up: true);
        lan.RunFor(TimeSpan.FromSeconds(10));

        Assert.Equal(CarpState.Master, fw[0]["carp1"].State);
        Assert.Equal(CarpState.Master, fw[0]["carp2"].State);
        Assert.Equal(0, fw[0]["carp1"].AdvertisedAdvSkew);
    }
}
