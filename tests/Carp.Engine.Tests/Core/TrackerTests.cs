using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Engine.Tests.Core;

/// <summary>Health trackers in the core (docs/protocol.md#trackers): weights, faults, scopes, per demotion style and VRRP.</summary>
public sealed class TrackerTests
{
    private static readonly TrackerScope Carp1 = TrackerScope.Interface("carp1");

    private static CoreHarness Master(VirtualHostConfig? config = null, CarpSysctls? sysctls = null)
    {
        var h = new CoreHarness(sysctls);
        var host = h.Add(config ?? CoreHarness.Config());
        h.RunUntil(4);
        Assert.Equal(CarpState.Master, host.State);
        h.Output.Clear();
        return h;
    }

    [Fact]
    public void A_failing_weight_adds_to_the_advertised_advskew_and_a_master_advertises_it_at_once()
    {
        using var h = Master(CoreHarness.Config(advSkew: 10));
        var host = h.Node.Find("carp1")!;

        h.Node.SetTrackerState("gw", Carp1, new TrackerEffect(50, Fault: false));

        Assert.Equal((byte)60, host.AdvertisedAdvSkew);
        Assert.Equal(50, host.TrackerDemotion);
        var sent = Assert.Single(h.Output.Sent);
        Assert.Equal((byte)60, sent.AdvSkew);
        Assert.Equal(CarpState.Master, host.State); // a weight demotes, it does not stop
        Assert.Equal(new RecordingOutput.DemotionChange("carp1", 10, 60, 0, 0), Assert.Single(h.Output.DemotionChanges));

        h.Output.Clear();
        h.Node.SetTrackerState("gw", Carp1, TrackerEffect.None);
        Assert.Equal((byte)10, host.AdvertisedAdvSkew);
        Assert.Equal((byte)10, Assert.Single(h.Output.Sent).AdvSkew);
    }

    [Fact]
    public void Weights_of_several_failing_trackers_add_up_and_the_advskew_stops_at_240()
    {
        using var h = Master();
        var host = h.Node.Find("carp1")!;

        h.Node.SetTrackerState("a", Carp1, new TrackerEffect(100, false));
        h.Node.SetTrackerState("b", Carp1, new TrackerEffect(100, false));
        Assert.Equal((byte)200, host.AdvertisedAdvSkew);
        h.Node.SetTrackerState("c", Carp1, new TrackerEffect(100, false));
        Assert.Equal(CarpConstants.MaxDemotedSkew, host.AdvertisedAdvSkew);

        h.Node.RemoveTracker("c");
        h.Node.RemoveTracker("b");
        Assert.Equal((byte)100, host.AdvertisedAdvSkew);
        Assert.Equal(["a"], h.Node.TrackersOf(host));
    }

    [Fact]
    public void A_group_tracker_covers_every_interface_of_the_group_and_no_other()
    {
        using var h = new CoreHarness();
        var lan = h.Add(CoreHarness.Config("carp1", vhid: 1) with { Groups = ["wan"] });
        var wan = h.Add(CoreHarness.Config("carp2", vhid: 2) with { Groups = ["wan", "dmz"] });
        var other = h.Add(CoreHarness.Config("carp3", vhid: 3));

        h.Node.SetTrackerState("uplink", TrackerScope.Group("wan"), new TrackerEffect(30, false));

        Assert.Equal(((byte)30, (byte)30, (byte)0), (lan.AdvertisedAdvSkew, wan.AdvertisedAdvSkew, other.AdvertisedAdvSkew));
        Assert.Equal(["uplink"], h.Node.TrackersOf(wan));
        Assert.Empty(h.Node.TrackersOf(other));
    }

    [Fact]
    public void A_host_added_while_its_tracker_fails_starts_demoted_or_in_init()
    {
        using var h = new CoreHarness();
        h.Node.SetTrackerState("w", TrackerScope.Interface("carp1"), new TrackerEffect(40, false));
        h.Node.SetTrackerState("f", TrackerScope.Interface("carp2"), new TrackerEffect(0, Fault: true));

        var weighted = h.Add(CoreHarness.Config("carp1", vhid: 1));
        var faulted = h.Add(CoreHarness.Config("carp2", vhid: 2));

        Assert.Equal(((byte)40, CarpState.Backup), (weighted.AdvertisedAdvSkew, weighted.State));
        Assert.Equal(CarpState.Init, faulted.State);
        Assert.DoesNotContain(h.Output.StateChanges, c => c.Host == "carp2");

        h.Node.SetTrackerState("f", TrackerScope.Interface("carp2"), TrackerEffect.None);
        Assert.Equal(new RecordingOutput.StateChange("carp2", CarpState.Init, CarpState.Backup, TransitionReason.Started), h.Output.StateChanges[^1]);
    }

    [Fact]
    public void A_fault_holds_the_host_in_init_across_a_link_bounce_and_releases_it_when_it_recovers()
    {
        using var h = Master();
        var host = h.Node.Find("carp1")!;
        h.Node.SetTrackerState("f", Carp1, new TrackerEffect(0, Fault: true));
        Assert.Equal((CarpState.Init, TransitionReason.TrackerFault), (host.State, host.LastTransitionReason));

        h.Node.SetLinkState("eth0", false);
        h.Node.SetLinkState("eth0", true);
        Assert.Equal(CarpState.Init, host.State);

        h.Output.Clear();
        h.Node.RemoveTracker("f");
        Assert.Equal(new RecordingOutput.StateChange("carp1", CarpState.Init, CarpState.Backup, TransitionReason.Started), Assert.Single(h.Output.StateChanges));
        Assert.False(host.TrackerFault);
    }

    [Fact]
    public void Under_the_OpenBSD_profile_a_weight_raises_the_demote_byte_and_leaves_the_advskew()
    {
        using var h = Master(CoreHarness.Config(advSkew: 10, profile: CompatibilityProfile.OpenBsd));
        var host = h.Node.Find("carp1")!;

        h.Node.SetTrackerState("gw", Carp1, new TrackerEffect(7, false));

        Assert.Equal(((byte)10, (byte)7), (host.AdvertisedAdvSkew, host.DemoteCount));
        Assert.Equal((byte)7, Assert.Single(h.Output.Sent).DemoteCount);
    }

    [Fact]
    public void Under_the_Classic_profile_a_weight_raises_the_advskew_up_to_240()
    {
        using var h = Master(CoreHarness.Config(advSkew: 200, profile: CompatibilityProfile.Classic));
        var host = h.Node.Find("carp1")!;

        h.Node.SetTrackerState("gw", Carp1, new TrackerEffect(50, false));
        Assert.Equal(CarpConstants.MaxDemotedSkew, host.AdvertisedAdvSkew);
        h.Node.SetTrackerState("gw", Carp1, new TrackerEffect(20, false));
        Assert.Equal((byte)220, host.AdvertisedAdvSkew);
    }

    [Theory]
    [InlineData(100, 0, 100)]
    [InlineData(100, 30, 70)]
    [InlineData(100, 150, 1)]    // never 0: that is the shutdown priority
    [InlineData(255, 0, 255)]    // the address owner keeps 255 while nothing fails
    [InlineData(255, 1, 254)]    // never 255 while demoted
    public void A_weight_lowers_a_VRRP_priority_between_1_and_254(int priority, int weight, int expected)
    {
        Assert.Equal((byte)expected, VirtualHost.TrackedPriority((byte)priority, weight));
    }

    [Fact]
    public void A_VRRP_master_advertises_its_lowered_priority_at_once_and_times_with_it()
    {
        using var h = new CoreHarness();
        var host = h.Add(VrrpPackets.Config(priority: 200, interval: 10));
        h.RunUntil(1);
        Assert.Equal(CarpState.Master, host.State);
        h.Output.Clear();

        h.Node.SetTrackerState("gw", Carp1, new TrackerEffect(120, false));

        Assert.Equal((byte)80, host.Priority);
        var advert = Assert.Single(h.Output.Sent);
        Assert.Equal((byte)80, advert.Header[2]); // VRRPv3: byte 2 is the priority
        Assert.Empty(h.Output.DemotionChanges); // advskew and demote byte stay

        h.Node.RemoveTracker("gw");
        Assert.Equal((byte)200, host.Priority);
    }

    [Fact]
    public void A_VRRP_backup_whose_master_drops_below_it_by_a_tracker_preempts_after_master_down()
    {
        using var h = new CoreHarness();
        var host = h.Add(VrrpPackets.Config(priority: 100, interval: 10));
        h.Receive(VrrpPackets.V4(priority: 150, interval: 10));
        Assert.Equal(CarpState.Backup, host.State);

        // The master's tracker lowered it to 50: with preempt a backup ignores it, and master-down makes it MASTER.
        h.Receive(VrrpPackets.V4(priority: 50, interval: 10));
        h.RunUntil(0.5);

        Assert.Equal((CarpState.Master, TransitionReason.MasterDown), (host.State, host.LastTransitionReason));
    }

    [Fact]
    public void Invalid_inputs_are_refused_and_change_nothing()
    {
        using var h = Master();
        Assert.Throws<ArgumentOutOfRangeException>(() => h.Node.SetTrackerState("x", Carp1, new TrackerEffect(-1, false)));
        Assert.Throws<ArgumentException>(() => h.Node.SetTrackerState("", Carp1, new TrackerEffect(1, false)));
        Assert.Empty(h.Node.TrackersOf(h.Node.Find("carp1")!));
        Assert.Equal(0, h.Output.TotalCalls);
    }
}
