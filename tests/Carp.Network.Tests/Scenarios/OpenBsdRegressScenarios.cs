using System.Net.NetworkInformation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// OpenBSD regress/sys/netinet/carp carp_1 and carp_2 (docs/protocol.md#scenarios-openbsd): vhid 251, no pass, node A in
/// group "a", node B in group "b" with advskew 100. After the election A is master; demoting
/// group a by one must swap the roles within 0.1 s.
/// </summary>
public sealed class OpenBsdRegressScenarios
{
    /// <summary>The regress waits 0.1 s; we allow a small margin for capture and event delivery.</summary>
    internal const double SwapDeadlineMs = 100;
    internal const double MarginMs = 50;

    /// <summary>The regress's carp1: vhid 251, 192.0.2.1/24, OpenBSD profile, in demote group <paramref name="group"/>.</summary>
    internal static VirtualHostConfig Config(string group, byte advSkew, MacMode mode) => new()
    {
        Name = "carp1",
        Vhid = 251,
        CarpDev = "eth0",
        AdvSkew = advSkew,
        Addresses = [CarpAddress.Parse("192.0.2.1/24")],
        Profile = CompatibilityProfile.OpenBsd,
        Groups = [group],
        MacMode = mode,
    };

    [Fact]
    public void Carp_1_group_demote_swaps_master_within_a_tenth_of_a_second() => Run(MacMode.Virtual, "carp_1");

    [Fact]
    public void Carp_2_realmac_group_demote_swaps_master_within_a_tenth_of_a_second() => Run(MacMode.Real, "carp_2");

    private static void Run(MacMode mode, string label)
    {
        using var s = new Scenario();
        var watchA = s.Watch(s.Node(1));
        var watchB = s.Watch(s.Node(2));
        var a = s.Engine("A", s.Node(1).Namespace);
        var b = s.Engine("B", s.Node(2).Namespace);
        a.Create(Config("a", 0, mode));
        b.Create(Config("b", 100, mode));
        string vipLink = mode == MacMode.Virtual ? "carp1" : "eth0";

        // "after 3.1 s A is master, B is backup" — here: once A is MASTER and B has heard it.
        a.WaitState(CarpState.Master, TimeSpan.FromSeconds(8));
        long masterAt = Clock.Now;
        watchA.WaitCount(1, TimeSpan.FromSeconds(3), masterAt);
        Assert.True(Scenario.Eventually(() => b.Stats.IPackets >= 1, TimeSpan.FromSeconds(3)), "B heard no advert of A");
        Assert.Equal(CarpState.Master, a.State());
        Assert.Equal(CarpState.Backup, b.State());
        Assert.Equal([vipLink], s.InterfacesWith(a.Namespace, "192.0.2.1"));
        Assert.Empty(s.InterfacesWith(b.Namespace, "192.0.2.1"));

        // Adverts leave from the virtual MAC (carp_1) or the parent's real MAC (carp_2), demote 0.
        var advertA = watchA.Adverts.Last(_ => true)!.Value.Item;
        var expectedMac = mode == MacMode.Virtual
            ? PhysicalAddress.Parse("00-00-5E-00-01-FB")
            : PhysicalAddress.Parse(s.Net.Exec(a.Namespace, "cat", "/sys/class/net/eth0/address").EnsureSuccess().StandardOutput.Trim().Replace(':', '-'));
        Assert.Equal(expectedMac, advertA.SourceMac);
        Assert.Equal(251, advertA.Vhid);
        Assert.Equal(0, advertA.Demote);

        // ifconfig -g a carpdemote
        long t0 = Clock.Now;
        var aBackup = a.Events.When(e => e is CarpStateChangedEvent { NewState: CarpState.Backup }, t0);
        var bMaster = b.Events.When(e => e is CarpStateChangedEvent { NewState: CarpState.Master }, t0);
        var status = a.Service.SetInterface("carp1", new InterfaceChange { DemoteAdjustment = 1 });
        long returned = Clock.Now;
        Assert.Equal(1, status.DemoteCount);

        var deadline = TimeSpan.FromMilliseconds(SwapDeadlineMs + MarginMs);
        bool both = Task.WhenAll(aBackup, bMaster).Wait(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.True(both, $"no swap within 5 s: A {a.State()}, B {b.State()}");
        double aMs = Clock.Ms(t0, aBackup.Result.At);
        double bMs = Clock.Ms(t0, bMaster.Result.At);
        var demoted = watchA.Adverts.Wait(x => x.Demote == 1, TimeSpan.FromSeconds(1), "A's demoted advert", t0);
        var taken = watchB.Adverts.Wait(_ => true, TimeSpan.FromSeconds(1), "B's first advert", t0);
        s.Measure($"{label}: SetInterface returned after {Clock.Ms(t0, returned):0.0} ms; A's demoted advert on the wire at {Clock.Ms(t0, demoted.At):0.0} ms; " +
                  $"B MASTER at {bMs:0.0} ms (its advert at {Clock.Ms(t0, taken.At):0.0} ms); A BACKUP at {aMs:0.0} ms (deadline {SwapDeadlineMs} ms + {MarginMs} ms margin)");

        Assert.True(Math.Max(aMs, bMs) <= deadline.TotalMilliseconds, $"swap took A {aMs:0.0} ms / B {bMs:0.0} ms");
        Assert.Equal(TransitionReason.RemoteDemoted, ((CarpStateChangedEvent)bMaster.Result.Item).Reason);
        Assert.Equal(TransitionReason.MoreFrequentMaster, ((CarpStateChangedEvent)aBackup.Result.Item).Reason);
        Assert.Equal(CarpState.Backup, a.State());
        Assert.Equal(CarpState.Master, b.State());
        Assert.Equal(0, taken.Item.Demote);

        // The addresses moved with the role.
        Assert.True(Scenario.Eventually(() => s.InterfacesWith(b.Namespace, "192.0.2.1").SequenceEqual([vipLink]) &&
                                               s.InterfacesWith(a.Namespace, "192.0.2.1").Length == 0, TimeSpan.FromSeconds(2)),
            "the VIP did not move from A to B");
    }
}
