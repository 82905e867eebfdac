using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>
/// One scenario per row of the transition table in docs/ARCHITECTURE.md: each drives a fresh node from the row's From state(s)
/// with the row's event, asserts the reported change, the To state and the row's actions, and returns the
/// (From, To) pairs it observed so the table can be checked against them.
/// </summary>
internal static class TransitionScenarios
{
    public static IReadOnlyList<(CarpState From, CarpState To)> Run(TransitionReason reason) => reason switch
    {
        TransitionReason.Started => Started(),
        TransitionReason.MasterDown => MasterDown(),
        TransitionReason.MasterWillTimeOut => MasterWillTimeOut(),
        TransitionReason.Preempt => Preempt(),
        TransitionReason.RemoteDemoted => RemoteDemoted(),
        TransitionReason.MoreFrequentMaster => MoreFrequentMaster(),
        TransitionReason.Forced => Forced(),
        TransitionReason.CarpDevDown => StopsAll(TransitionReason.CarpDevDown, h => h.Node.SetLinkState("eth0", false)),
        TransitionReason.NotAllowed => StopsAll(TransitionReason.NotAllowed, h => h.Node.SetSysctl("allow", 0)),
        TransitionReason.NoAddress => StopsAll(TransitionReason.NoAddress, h => h.Node.UpdateVirtualHost("carp1", Config() with { Addresses = [] })),
        // carp1 carries IPv4: the carpdev losing its IPv4 address (its IPv6 one stays) leaves no source for its adverts.
        TransitionReason.NoSourceAddress => StopsAll(TransitionReason.NoSourceAddress, h => h.Node.SetDeviceSources("eth0", null, h.Eth0.SourceV6)),
        TransitionReason.Reconfigured => Reconfigured(),
        TransitionReason.Removed => Removed(),
        TransitionReason.AddressesRevoked => AddressesRevoked(),
        TransitionReason.Suspended => Suspended(),
        TransitionReason.HigherPriorityMaster => HigherPriorityMaster(),
        TransitionReason.TrackerFault => TrackerFault(),
        _ => throw new InvalidOperationException($"No scenario for TransitionReason.{reason}: add one here and a row to the transition table in docs/ARCHITECTURE.md."),
    };

    private static (CarpState, CarpState)[] Started()
    {
        using var added = new CoreHarness();
        var host = added.Add(Config());
        var pair = Changed(added, host, TransitionReason.Started, CarpState.Backup);
        AssertBackupEntered(added, host, advertsFirst: 0);

        // Coming back from INIT because the carpdev is up again, or allow is 1 again, is the same transition.
        using var linkUp = Harness(CarpState.Backup);
        linkUp.Node.SetLinkState("eth0", false);
        linkUp.Output.Clear();
        linkUp.Node.SetLinkState("eth0", true);
        var afterLinkUp = Changed(linkUp, Host(linkUp), TransitionReason.Started, CarpState.Backup);

        using var allowed = Harness(CarpState.Backup);
        allowed.Node.SetSysctl("allow", 0);
        allowed.Output.Clear();
        allowed.Node.SetSysctl("allow", 1);
        var afterAllow = Changed(allowed, Host(allowed), TransitionReason.Started, CarpState.Backup);

        // … or because the carpdev got a source address for every family the vhost carries.
        using var sourced = Harness(CarpState.Backup);
        sourced.Node.SetDeviceSources("eth0", null, sourced.Eth0.SourceV6);
        sourced.Output.Clear();
        sourced.Node.SetDeviceSources("eth0", IPAddress.Parse("192.0.2.1"), sourced.Eth0.SourceV6);
        var afterSource = Changed(sourced, Host(sourced), TransitionReason.Started, CarpState.Backup);
        AssertBackupEntered(sourced, Host(sourced), advertsFirst: 0);
        return [pair, afterLinkUp, afterAllow, afterSource];
    }

    private static (CarpState, CarpState)[] MasterDown()
    {
        using var h = Harness(CarpState.Backup);
        var host = Host(h);
        h.AtTicks(Ts(3) - 1);
        Assert.Empty(h.Output.StateChanges);

        h.At(3);

        var pair = Changed(h, host, TransitionReason.MasterDown, CarpState.Master);
        AssertTookOver(h, host);
        h.RunUntil(4);
        Assert.Single(h.Output.Announcements);
        h.RunUntil(5); // the second periodic advert after the takeover repeats the announce
        Assert.Equal(3, h.Output.Sent.Count);
        Assert.Equal(["carp1", "carp1"], h.Output.Announcements);
        return [pair];
    }

    private static (CarpState, CarpState)[] MasterWillTimeOut()
    {
        // An advert whose interval is exactly 3 × our advbase is not "obviously" timing out: BACKUP stays.
        using var boundary = Harness(CarpState.Backup);
        boundary.At(1);
        boundary.Receive(Packets.V4(Packets.Header(advBase: 3)));
        Assert.Equal(0, boundary.Output.TotalCalls);
        Assert.Equal(CarpState.Backup, Host(boundary).State);

        using var h = Harness(CarpState.Backup);
        h.At(1);
        h.Receive(Packets.V4(Packets.Header(advBase: CarpConstants.BowOut, advSkew: CarpConstants.BowOut)));

        var pair = Changed(h, Host(h), TransitionReason.MasterWillTimeOut, CarpState.Master);
        AssertTookOver(h, Host(h));
        return [pair];
    }

    private static (CarpState, CarpState)[] Preempt()
    {
        var slower = Packets.V4(Packets.Header(advSkew: 100));
        using var withoutPreempt = Harness(CarpState.Backup);
        withoutPreempt.Receive(slower);
        Assert.Equal(0, withoutPreempt.Output.TotalCalls);

        using var h = Harness(CarpState.Backup, sysctls: CarpSysctls.Default with { Preempt = true });
        h.At(1);
        h.Receive(slower);

        var pair = Changed(h, Host(h), TransitionReason.Preempt, CarpState.Master);
        AssertTookOver(h, Host(h));
        return [pair];
    }

    private static (CarpState, CarpState)[] RemoteDemoted()
    {
        var demoted = Packets.V4(Packets.Header(demote: 1));
        using var freeBsd = Harness(CarpState.Backup); // the demote byte means nothing to the FreeBSD profile
        freeBsd.Receive(demoted);
        Assert.Equal(0, freeBsd.Output.TotalCalls);

        using var h = Harness(CarpState.Backup, Config(profile: CompatibilityProfile.OpenBsd));
        h.At(1);
        h.Receive(demoted);

        var pair = Changed(h, Host(h), TransitionReason.RemoteDemoted, CarpState.Master);
        AssertTookOver(h, Host(h));
        Assert.Equal((byte)0, h.Output.Sent[0].DemoteCount);
        return [pair];
    }

    private static (CarpState, CarpState)[] MoreFrequentMaster()
    {
        using var h = Harness(CarpState.Master);
        h.Receive(Packets.V4(Packets.Header())); // the same interval as ours: FreeBSD yields on a tie
        var pair = Changed(h, Host(h), TransitionReason.MoreFrequentMaster, CarpState.Backup);
        AssertBackupEntered(h, Host(h), advertsFirst: 0);
        // A tie: no last advert (docs/protocol.md#split-brain-heal; AnnouncementTests has the others).
        Assert.Empty(h.Output.SentTo);

        // A bow-out is never obeyed by a MASTER.
        using var bowOut = Harness(CarpState.Master);
        bowOut.Receive(Packets.V4(Packets.Header(advBase: CarpConstants.BowOut, advSkew: CarpConstants.BowOut)));
        Assert.Equal(0, bowOut.Output.TotalCalls);

        // ucarp sends one last advert before it yields.
        using var ucarp = Harness(CarpState.Master, Config(advSkew: 10, profile: CompatibilityProfile.Ucarp));
        ucarp.Receive(Packets.V4(Packets.Header()));
        var ucarpPair = Changed(ucarp, Host(ucarp), TransitionReason.MoreFrequentMaster, CarpState.Backup);
        AssertBackupEntered(ucarp, Host(ucarp), advertsFirst: 1);
        return [pair, ucarpPair];
    }

    private static (CarpState, CarpState)[] HigherPriorityMaster()
    {
        // VRRP, 100 ms: MASTER since 0.36 s.
        using var h = Harness(CarpState.Master, VrrpPackets.Config(priority: 100, interval: 10));
        h.Receive(VrrpPackets.V4(priority: 101, interval: 20));
        var pair = Changed(h, Host(h), TransitionReason.HigherPriorityMaster, CarpState.Backup);
        Assert.Empty(h.Output.Sent);
        Assert.Equal(100, VrrpPackets.Read(Assert.Single(h.Output.SentTo).Advert).Priority); // its last advert, to the winner alone
        var removed = Assert.Single(h.Output.AddressChanges);
        Assert.False(removed.Present);
        Assert.Empty(h.Output.Announcements);
        Assert.Equal(h.Clock.GetTimestamp() + Microseconds(VrrpTiming.MasterDown(100, 20)), Host(h).NextDeadline);
        return [pair];
    }

    private static (CarpState, CarpState)[] Forced()
    {
        using var up = Harness(CarpState.Backup);
        up.Node.Force("carp1", CarpState.Master);
        var toMaster = Changed(up, Host(up), TransitionReason.Forced, CarpState.Master);
        AssertTookOver(up, Host(up));

        using var down = Harness(CarpState.Master);
        down.Node.Force("carp1", CarpState.Backup);
        var toBackup = Changed(down, Host(down), TransitionReason.Forced, CarpState.Backup);
        AssertBackupEntered(down, Host(down), advertsFirst: 0);

        down.Output.Clear();
        down.Node.Force("carp1", CarpState.Backup); // already BACKUP: no event
        Assert.Empty(down.Output.StateChanges);
        return [toMaster, toBackup];
    }

    private static (CarpState, CarpState)[] AddressesRevoked()
    {
        using var master = Harness(CarpState.Master);
        master.Node.AddressesRevoked();
        var stepDown = Changed(master, Host(master), TransitionReason.AddressesRevoked, CarpState.Backup);
        AssertBackupEntered(master, Host(master), advertsFirst: 0);

        // A BACKUP holds no address: nothing to step down from.
        using var backup = Harness(CarpState.Backup);
        backup.Node.AddressesRevoked();
        Assert.Empty(backup.Output.StateChanges);
        return [stepDown];
    }

    private static (CarpState, CarpState)[] Suspended()
    {
        using var master = Harness(CarpState.Master);
        master.Node.UpdateVirtualHost("carp1", Config() with { Maintenance = true });
        var stepDown = Changed(master, Host(master), TransitionReason.Suspended, CarpState.Backup);
        Assert.Equal(1, BowOuts(master));
        Assert.Single(master.Output.Sent);
        var removed = Assert.Single(master.Output.AddressChanges);
        Assert.False(removed.Present);
        Assert.Empty(master.Output.Announcements);
        Assert.Null(Host(master).NextDeadline); // no master-down timer while suspended
        Assert.Equal([("carp1", true)], master.Output.MaintenanceChanges);

        // A BACKUP changes no state: it only stops competing.
        using var backup = Harness(CarpState.Backup);
        backup.Node.UpdateVirtualHost("carp1", Config() with { Maintenance = true });
        Assert.Empty(backup.Output.StateChanges);
        Assert.Null(Host(backup).NextDeadline);
        return [stepDown];
    }

    private static (CarpState, CarpState)[] TrackerFault()
    {
        var pairs = new List<(CarpState, CarpState)>();
        foreach (var from in (CarpState[])[CarpState.Master, CarpState.Backup])
        {
            using var h = Harness(from);
            var host = Host(h);
            h.Node.SetTrackerState("gw", TrackerScope.Interface("carp1"), new TrackerEffect(0, Fault: true));

            pairs.Add(Changed(h, host, TransitionReason.TrackerFault, CarpState.Init));
            AssertStopped(h, host, from, bowOut: from == CarpState.Master);
            Assert.True(host.TrackerFault);
        }

        return [.. pairs];
    }

    /// <summary>The rows whose event takes a MASTER and a BACKUP to INIT without a bow-out.</summary>
    private static (CarpState, CarpState)[] StopsAll(TransitionReason reason, Action<CoreHarness> input)
    {
        var pairs = new List<(CarpState, CarpState)>();
        foreach (var from in (CarpState[])[CarpState.Master, CarpState.Backup])
        {
            using var h = Harness(from);
            var host = Host(h);
            input(h);

            pairs.Add(Changed(h, host, reason, CarpState.Init));
            AssertStopped(h, host, from, bowOut: false);
            Assert.Equal(reason == TransitionReason.CarpDevDown ? 240 : 0, h.Node.Sysctls.Demotion);
        }

        return [.. pairs];
    }

    private static (CarpState, CarpState)[] Reconfigured()
    {
        var pairs = new List<(CarpState, CarpState)>();
        foreach (var from in (CarpState[])[CarpState.Master, CarpState.Backup])
        {
            using var h = Harness(from);
            var old = Host(h);
            h.Node.UpdateVirtualHost("carp1", Config(vhid: 2)); // a new vhid: the old vhost leaves, a new one starts

            var change = Assert.Single(h.Output.StateChanges, c => c.Reason == TransitionReason.Reconfigured);
            Assert.Equal(new RecordingOutput.StateChange("carp1", from, CarpState.Init, TransitionReason.Reconfigured), change);
            Assert.Equal(new RecordingOutput.StateChange("carp1", CarpState.Init, CarpState.Backup, TransitionReason.Started), h.Output.StateChanges[^1]);
            Assert.Equal(2, h.Output.StateChanges.Count);
            Assert.Equal((CarpState.Init, TransitionReason.Reconfigured), (old.State, old.LastTransitionReason));
            Assert.Null(old.NextDeadline);
            Assert.Equal(from == CarpState.Master ? 1 : 0, BowOuts(h));
            Assert.Equal(h.Output.Sent.Count, BowOuts(h));
            // Removed once by the vhost that leaves, once more (made sure absent) by the one that starts.
            Assert.Equal(2, h.Output.AddressChanges.Count(c => !c.Present && c.Addresses.SequenceEqual(old.Config.Addresses)));
            Assert.DoesNotContain(h.Output.AddressChanges, c => c.Present);
            Assert.Equal((byte)2, Host(h).Vhid);
            pairs.Add((change.From, change.To));
        }

        // A vhost held in INIT for lack of an address starts again when an update gives it one.
        using var empty = new CoreHarness();
        var host = empty.Add(Config() with { Addresses = [] });
        Assert.Equal(CarpState.Init, host.State);
        Assert.Equal(0, empty.Output.TotalCalls);
        empty.Node.UpdateVirtualHost("carp1", Config());
        pairs.Add(Changed(empty, host, TransitionReason.Reconfigured, CarpState.Backup));
        AssertBackupEntered(empty, host, advertsFirst: 0);
        return [.. pairs];
    }

    private static (CarpState, CarpState)[] Removed()
    {
        var pairs = new List<(CarpState, CarpState)>();
        foreach (var from in (CarpState[])[CarpState.Master, CarpState.Backup])
        {
            using var h = Harness(from);
            var host = Host(h);
            h.Node.RemoveVirtualHost("carp1");

            pairs.Add(Changed(h, host, TransitionReason.Removed, CarpState.Init));
            AssertStopped(h, host, from, bowOut: from == CarpState.Master);
            Assert.Null(h.Node.Find("carp1"));
        }

        using var ucarp = Harness(CarpState.Master, Config(profile: CompatibilityProfile.Ucarp));
        var ucarpHost = Host(ucarp);
        ucarp.Node.RemoveVirtualHost("carp1");
        pairs.Add(Changed(ucarp, ucarpHost, TransitionReason.Removed, CarpState.Init));
        AssertStopped(ucarp, ucarpHost, CarpState.Master, bowOut: false); // ucarp has no bow-out
        return [.. pairs];
    }

    // ---- Helpers ------------------------------------------------------------------------------

    /// <summary>A node with carp1 (advbase 1, advskew 0 unless <paramref name="config"/> says otherwise) in <paramref name="state"/>, output cleared.</summary>
    private static CoreHarness Harness(CarpState state, VirtualHostConfig? config = null, CarpSysctls? sysctls = null)
    {
        var h = new CoreHarness(sysctls);
        var host = h.Add(config ?? Config());
        if (state == CarpState.Master)
        {
            h.RunUntil(3.5); // master-down after 3 s (+ advskew/256); the next advert is not due before 4 s
        }

        Assert.Equal(state, host.State);
        h.Output.Clear();
        return h;
    }

    private static VirtualHost Host(CoreHarness h) => h.Node.Find("carp1") ?? throw new InvalidOperationException("carp1 is gone");

    private static long Microseconds(long us) => us * (TimeSpan.TicksPerSecond / CarpTiming.MicrosecondsPerSecond);

    private static int BowOuts(CoreHarness h) =>
        h.Output.Sent.Count(s => s is { AdvBase: CarpConstants.BowOut, AdvSkew: CarpConstants.BowOut });

    /// <summary>Exactly one state change was reported, with this reason and this To state, and the vhost agrees.</summary>
    private static (CarpState, CarpState) Changed(CoreHarness h, VirtualHost host, TransitionReason reason, CarpState to)
    {
        var change = Assert.Single(h.Output.StateChanges);
        Assert.Equal(new RecordingOutput.StateChange("carp1", change.From, to, reason), change);
        Assert.NotEqual(change.From, change.To);
        Assert.Equal((to, reason), (host.State, host.LastTransitionReason));
        return (change.From, change.To);
    }

    /// <summary>Takeover actions: one advert now, the addresses added, one announce, the advert timer one interval out.</summary>
    private static void AssertTookOver(CoreHarness h, VirtualHost host)
    {
        var sent = Assert.Single(h.Output.Sent);
        Assert.Equal((host.Config.AdvBase, host.AdvertisedAdvSkew), (sent.AdvBase, sent.AdvSkew));
        var added = Assert.Single(h.Output.AddressChanges);
        Assert.True(added.Present);
        Assert.Equal(host.Config.Addresses, added.Addresses);
        Assert.Equal(["carp1"], h.Output.Announcements);
        Assert.Equal(h.Clock.GetTimestamp() + Microseconds(CarpTiming.Interval(host.Config.AdvBase, host.Config.AdvSkew)), host.NextDeadline);
        Assert.Equal(1, h.Stats.Preempt);
    }

    /// <summary>BACKUP entered: no advert but <paramref name="advertsFirst"/>, addresses removed, no announce, only master-down armed.</summary>
    private static void AssertBackupEntered(CoreHarness h, VirtualHost host, int advertsFirst)
    {
        Assert.Equal(advertsFirst, h.Output.Sent.Count);
        Assert.All(h.Output.Sent, s => Assert.Equal(host.AdvertisedAdvSkew, s.AdvSkew));
        var removed = Assert.Single(h.Output.AddressChanges);
        Assert.False(removed.Present);
        Assert.Equal(host.Config.Addresses, removed.Addresses);
        Assert.Empty(h.Output.Announcements);
        var masterDown = CarpTiming.MasterDown(host.Config.Profile.MasterDown, host.Config.AdvBase, host.Config.AdvSkew);
        Assert.Equal(h.Clock.GetTimestamp() + Microseconds(masterDown), host.NextDeadline);
    }

    /// <summary>
    /// INIT entered from <paramref name="from"/>: a bow-out advert or nothing sent, the vhost's addresses removed and none
    /// left present, no address announced, no timer armed.
    /// </summary>
    private static void AssertStopped(CoreHarness h, VirtualHost host, CarpState from, bool bowOut)
    {
        Assert.Equal(bowOut ? 1 : 0, BowOuts(h));
        Assert.Equal(h.Output.Sent.Count, BowOuts(h));
        var vips = Config().Addresses;
        if (from == CarpState.Master || host.Config.Addresses.Count > 0)
        {
            Assert.Contains(h.Output.AddressChanges, c => !c.Present && c.Addresses.SequenceEqual(vips));
        }

        var present = from == CarpState.Master ? vips.ToHashSet() : [];
        foreach (var change in h.Output.AddressChanges)
        {
            if (change.Present)
            {
                present.UnionWith(change.Addresses);
            }
            else
            {
                present.ExceptWith(change.Addresses);
            }
        }

        Assert.Empty(present);
        // An update to no address from MASTER re-announces the (now empty) set before it stops: that announces nothing.
        Assert.All(h.Output.Announcements, _ => Assert.Empty(host.Config.Addresses));
        Assert.Null(host.NextDeadline);
    }
}
