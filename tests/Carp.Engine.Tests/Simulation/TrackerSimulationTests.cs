using Carp.Engine.Core;
using Carp.Engine.Simulation;
using static Carp.Engine.Tests.Simulation.ScenarioBuilder;

namespace Carp.Engine.Tests.Simulation;

/// <summary>
/// Trackers between two nodes on simulated time (docs/protocol.md#trackers): a weight on the master hands the vhid to a
/// preempting backup on the master's next advert, which leaves at once; its removal brings it back within the other's
/// advert interval; a fault hands it over by bow-out.
/// </summary>
public class TrackerSimulationTests
{
    private static readonly TrackerScope Carp1 = TrackerScope.Interface("carp1");

    /// <summary>"one" (advskew 0) is MASTER and "two" (advskew 50) BACKUP after 10 s.</summary>
    private static (SimulatedLan Lan, SimulatedHost[] Hosts) Pair(bool preempt)
    {
        var (lan, _, hosts) = Lan(2, preempt: preempt);
        hosts[0].Add(Vhost(advSkew: 0));
        hosts[1].Add(Vhost(advSkew: 50));
        lan.RunFor(TimeSpan.FromSeconds(10));
        Assert.Equal(CarpState.Master, hosts[0]["carp1"].State);
        Assert.Equal(CarpState.Backup, hosts[1]["carp1"].State);
        return (lan, hosts);
    }

    [Fact]
    public void A_weight_on_the_master_makes_a_preempting_backup_take_over_at_once_and_its_removal_takes_it_back()
    {
        var (lan, hosts) = Pair(preempt: true);
        var failedAt = lan.Now;

        hosts[0].Node.SetTrackerState("gw", Carp1, new TrackerEffect(100, Fault: false));
        lan.RunFor(TimeSpan.FromSeconds(3));

        var took = BecameMaster(lan, "two", failedAt)!;
        Assert.Equal(TransitionReason.Preempt, took.Reason);
        Assert.True(took.At - failedAt < TimeSpan.FromMilliseconds(50), $"took over {took.At - failedAt} after the demotion");
        Assert.Equal(1, Masters(hosts));

        var recoveredAt = lan.Now;
        hosts[0].Node.RemoveTracker("gw");
        lan.RunFor(TimeSpan.FromSeconds(3));

        var back = BecameMaster(lan, "one", recoveredAt)!;
        Assert.Equal(TransitionReason.Preempt, back.Reason);
        Assert.True(back.At - recoveredAt <= TimeSpan.FromSeconds(1 + 50 / 256.0), $"took it back {back.At - recoveredAt} after the recovery");
        Assert.Equal(CarpState.Backup, hosts[1]["carp1"].State);
    }

    [Fact]
    public void Without_preempt_a_weight_changes_nobodys_state()
    {
        var (lan, hosts) = Pair(preempt: false);
        var failedAt = lan.Now;

        hosts[0].Node.SetTrackerState("gw", Carp1, new TrackerEffect(100, Fault: false));
        lan.RunFor(TimeSpan.FromSeconds(10));

        Assert.Null(BecameMaster(lan, "two", failedAt));
        Assert.Equal((byte)100, hosts[0]["carp1"].AdvertisedAdvSkew);
    }

    [Fact]
    public void A_fault_on_the_master_hands_over_by_bow_out_even_without_preempt_and_it_comes_back_as_backup()
    {
        var (lan, hosts) = Pair(preempt: false);
        var failedAt = lan.Now;

        hosts[0].Node.SetTrackerState("gw", Carp1, new TrackerEffect(0, Fault: true));
        lan.RunFor(TimeSpan.FromSeconds(1));

        Assert.Equal((CarpState.Init, TransitionReason.TrackerFault), (hosts[0]["carp1"].State, hosts[0]["carp1"].LastTransitionReason));
        var took = BecameMaster(lan, "two", failedAt)!;
        Assert.Equal(TransitionReason.MasterWillTimeOut, took.Reason);
        Assert.True(took.At - failedAt < TimeSpan.FromMilliseconds(50), $"took over {took.At - failedAt} after the fault");

        hosts[0].Node.RemoveTracker("gw");
        lan.RunFor(TimeSpan.FromSeconds(10));
        Assert.Equal(CarpState.Backup, hosts[0]["carp1"].State); // no preempt: the other keeps it
        Assert.Equal(1, Masters(hosts));
    }
}
