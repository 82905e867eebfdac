using Carp.Engine.Core;
using Carp.Engine.Simulation;
using static Carp.Engine.Tests.Simulation.ScenarioBuilder;

namespace Carp.Engine.Tests.Simulation;

/// <summary>Maintenance mode (docs/protocol.md#maintenance): a planned failover by bow-out, and a host kept out of mastership until resumed.</summary>
public class MaintenanceTests
{
    /// <summary>"one" (advskew 0) is MASTER and "two" (advskew 100) BACKUP after 10 s.</summary>
    private static (SimulatedLan Lan, SimulatedHost[] Hosts) Pair(bool preempt = false, CompatibilityProfile? profile = null)
    {
        var (lan, _, hosts) = Lan(2, preempt: preempt);
        hosts[0].Add(Vhost(advSkew: 0, profile: profile));
        hosts[1].Add(Vhost(advSkew: 100, profile: profile));
        lan.RunFor(TimeSpan.FromSeconds(10));
        Assert.Equal(CarpState.Master, hosts[0]["carp1"].State);
        Assert.Equal(CarpState.Backup, hosts[1]["carp1"].State);
        return (lan, hosts);
    }

    private static void SetMaintenance(SimulatedHost host, bool on) =>
        host.Node.UpdateVirtualHost("carp1", host["carp1"].Config with { Maintenance = on });

    [Fact]
    public void Suspending_a_master_bows_out_and_the_backup_takes_over_at_once_without_preempt()
    {
        var (lan, hosts) = Pair();
        var suspendedAt = lan.Now;

        SetMaintenance(hosts[0], true);
        lan.RunFor(TimeSpan.FromMilliseconds(50));

        Assert.Equal((CarpState.Backup, TransitionReason.Suspended), (hosts[0]["carp1"].State, hosts[0]["carp1"].LastTransitionReason));
        Assert.Empty(hosts[0].PresentAddresses);
        // An advert of the timer may fall on the same instant; the bow-out is the last one "one" sends.
        var bowOut = Assert.Single(lan.Timeline, e => e.Host == "one" && e.At >= suspendedAt && e.Kind == SimulationEventKind.Advertisement &&
            e.Detail!.Contains("advbase 255 advskew 255", StringComparison.Ordinal));
        Assert.DoesNotContain(lan.Timeline, e => e.Host == "one" && e.At > bowOut.At && e.Kind == SimulationEventKind.Advertisement);
        var became = BecameMaster(lan, "two", suspendedAt)!;
        Assert.Equal(TransitionReason.MasterWillTimeOut, became.Reason);
        Assert.True(became.At - suspendedAt < TimeSpan.FromMilliseconds(50), $"took over after {became.At - suspendedAt}");
        Assert.Contains(lan.Timeline, e => e.Host == "one" && e.Kind == SimulationEventKind.MaintenanceChanged && e.Detail == "on");
    }

    [Fact]
    public void A_suspended_backup_listens_but_never_becomes_master_even_when_the_master_dies()
    {
        var (lan, hosts) = Pair();
        SetMaintenance(hosts[1], true);
        lan.RunFor(TimeSpan.FromSeconds(2));
        Assert.Equal(System.Net.IPAddress.Parse("192.0.2.1"), hosts[1]["carp1"].MasterSeen);

        hosts[0].Crash();
        lan.RunFor(TimeSpan.FromSeconds(30));

        Assert.Equal(CarpState.Backup, hosts[1]["carp1"].State);
        Assert.Empty(hosts[1].PresentAddresses);
        Assert.Null(hosts[1]["carp1"].NextDeadline);
    }

    [Fact]
    public void A_suspended_backup_does_not_preempt_a_slower_master()
    {
        var (lan, _, hosts) = Lan(2, preempt: true);
        hosts[0].Add(Vhost(advSkew: 0) with { Maintenance = true });
        hosts[1].Add(Vhost(advSkew: 100));

        lan.RunFor(TimeSpan.FromSeconds(20));

        Assert.Equal(CarpState.Backup, hosts[0]["carp1"].State);
        Assert.Equal(CarpState.Master, hosts[1]["carp1"].State);
    }

    [Fact]
    public void Forcing_a_suspended_host_master_is_refused()
    {
        var (_, hosts) = Pair();
        SetMaintenance(hosts[1], true);

        var refusal = Assert.Throws<CarpException>(() => hosts[1].Node.Force("carp1", CarpState.Master));

        Assert.Equal(CarpErrorCode.InterfaceSuspended, refusal.Code);
        Assert.Equal(CarpState.Backup, hosts[1]["carp1"].State);
    }

    [Fact]
    public void Resume_with_preempt_takes_mastership_back_at_the_masters_next_advert()
    {
        var (lan, hosts) = Pair(preempt: true);
        SetMaintenance(hosts[0], true);
        lan.RunFor(TimeSpan.FromSeconds(5));
        Assert.Equal(CarpState.Master, hosts[1]["carp1"].State);
        var resumedAt = lan.Now;

        SetMaintenance(hosts[0], false);
        lan.RunFor(TimeSpan.FromSeconds(3));

        var became = BecameMaster(lan, "one", resumedAt)!;
        Assert.Equal(TransitionReason.Preempt, became.Reason);
        Assert.True(became.At - resumedAt <= TimeSpan.FromSeconds(1.5), $"took over after {became.At - resumedAt}");
        Assert.Equal(CarpState.Backup, hosts[1]["carp1"].State);
        Assert.Contains(lan.Timeline, e => e.Host == "one" && e.Kind == SimulationEventKind.MaintenanceChanged && e.Detail == "off");
    }

    [Fact]
    public void Resume_without_preempt_stays_backup_while_the_master_lives()
    {
        var (lan, hosts) = Pair();
        SetMaintenance(hosts[0], true);
        lan.RunFor(TimeSpan.FromSeconds(5));

        SetMaintenance(hosts[0], false);
        lan.RunFor(TimeSpan.FromSeconds(20));

        Assert.Equal(CarpState.Backup, hosts[0]["carp1"].State);
        Assert.Equal(CarpState.Master, hosts[1]["carp1"].State);
    }

    [Fact]
    public void Resume_with_no_master_heard_becomes_master_after_master_down()
    {
        var (lan, _, hosts) = Lan(1);
        hosts[0].Add(Vhost() with { Maintenance = true });
        lan.RunFor(TimeSpan.FromSeconds(20));
        Assert.Equal(CarpState.Backup, hosts[0]["carp1"].State);
        var resumedAt = lan.Now;

        SetMaintenance(hosts[0], false);
        lan.RunFor(TimeSpan.FromSeconds(5));

        var became = BecameMaster(lan, "one", resumedAt)!;
        Assert.Equal(TransitionReason.MasterDown, became.Reason);
        Assert.Equal(TimeSpan.FromSeconds(3), became.At - resumedAt);
    }

    [Fact]
    public void A_ucarp_master_has_no_bow_out_so_its_peer_waits_for_master_down()
    {
        var (lan, hosts) = Pair(profile: CompatibilityProfile.Ucarp);
        var suspendedAt = lan.Now;

        SetMaintenance(hosts[0], true);
        lan.RunFor(TimeSpan.FromSeconds(5));

        Assert.Equal(CarpState.Backup, hosts[0]["carp1"].State);
        var became = BecameMaster(lan, "two", suspendedAt)!;
        Assert.Equal(TransitionReason.MasterDown, became.Reason);
        Assert.DoesNotContain(lan.Timeline, e => e.Host == "one" && e.At >= suspendedAt && e.Kind == SimulationEventKind.Advertisement &&
            e.Detail!.Contains("advbase 255", StringComparison.Ordinal));
        Assert.DoesNotContain(lan.Timeline, e => e.Host == "one" && e.At > suspendedAt && e.Kind == SimulationEventKind.Advertisement);
    }

    [Fact]
    public void A_rebuilt_suspended_host_reports_the_change_and_starts_suspended()
    {
        var (lan, hosts) = Pair();

        hosts[0].Node.UpdateVirtualHost("carp1", hosts[0]["carp1"].Config with { Vhid = 2, Maintenance = true });
        lan.RunFor(TimeSpan.FromSeconds(10));

        Assert.True(hosts[0]["carp1"].Suspended);
        Assert.Equal(CarpState.Backup, hosts[0]["carp1"].State);
        Assert.Contains(lan.Timeline, e => e.Host == "one" && e.Kind == SimulationEventKind.MaintenanceChanged && e.Detail == "on");
    }
}
