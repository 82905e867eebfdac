using System.Net;
using System.Net.NetworkInformation;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Carp.Linux;
using Carp.Network.Tests.Faults;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// The passive segment watch (docs/protocol.md#segment-watch) on a bridge: carpd master and backup of vhid 1, ucarp on
/// vhid 2 and keepalived (VRRPv3) on VRID 3, watched from a fourth namespace that has no carp interface — in process and
/// through carpd's watchNetwork. Then a partition between the two carpd hosts makes both master (SplitBrain), a watch
/// with the wrong pass sees PassMismatch, and with both carpd hosts killed vhid 1 goes MasterSilent.
/// </summary>
public sealed class SegmentWatchScenarios
{
    private const string Pass = "lanpasswd";

    [Fact]
    public void A_watcher_sees_carpd_ucarp_and_keepalived_with_their_masters_then_a_split_brain_a_wrong_pass_and_a_silent_master()
    {
        using var s = new Scenario(nodes: 4);
        var watcher = s.Node(4);
        using var good = Watch(s, watcher, new SegmentWatchOptions { Pass = CarpKey.FromPassphrase(Pass) });
        using var wrong = Watch(s, watcher, new SegmentWatchOptions { Pass = CarpKey.FromPassphrase("wrongpass"), Addresses = [IPAddress.Parse("192.0.2.100")] });

        var fw1 = CarpdProcess.Start(s, "fw1", s.Node(1).Namespace, Config(s, "fw1.conf", advSkew: 0));
        fw1.WaitState(CarpState.Master, TimeSpan.FromSeconds(8));
        var fw2 = CarpdProcess.Start(s, "fw2", s.Node(2).Namespace, Config(s, "fw2.conf", advSkew: 100));
        fw2.WaitState(CarpState.Backup, TimeSpan.FromSeconds(5));
        var ucarp = UcarpProcess.Start(s, s.Node(3), Pass, advSkew: 0, vip: "192.0.2.102", vhid: 2);
        ucarp.WaitState("MASTER", TimeSpan.FromSeconds(10));
        var keepalived = KeepalivedProcess.Start(s, s.Node(3), priority: 150, v6: false, vrid: 3, vip4: "192.0.2.103/24");
        keepalived.WaitState("MASTER", TimeSpan.FromSeconds(10));

        Assert.True(Scenario.Eventually(() => good.Snapshot().Count(e => e.Adverts >= 3) == 3, TimeSpan.FromSeconds(10)),
            "the watch did not see three vhids: " + string.Join("; ", good.Snapshot()));
        var entries = good.Snapshot();
        s.Log("watch", string.Join("; ", entries.Select(e => $"{e.Protocol} {e.Vhid} {e.Master} {e.Mac} {e.Findings} {string.Join(",", e.Addresses)}")));

        var carp1 = entries.Single(e => e is { Protocol: SegmentProtocol.Carp, Vhid: 1 });
        Assert.Equal(s.Node(1).IPv4, carp1.Master);
        Assert.Equal(CarpMac.Virtual(1), carp1.Mac);
        Assert.Equal(((byte)1, (byte)0), (carp1.AdvBase, carp1.AdvSkew));
        Assert.Equal([IPAddress.Parse("192.0.2.100")], carp1.Addresses); // learnt from its gratuitous ARP, verified by the HMAC
        Assert.True(carp1.HmacVerified > 0);
        Assert.Equal(SegmentFindings.None, carp1.Findings);
        Assert.Equal([s.Node(1).IPv4], carp1.Masters); // the backup is silent

        var carp2 = entries.Single(e => e is { Protocol: SegmentProtocol.Carp, Vhid: 2 });
        Assert.Equal(s.Node(3).IPv4, carp2.Master);
        Assert.Equal(CarpMac.Ucarp(2), carp2.Mac);
        Assert.Equal(SegmentFindings.None, carp2.Findings);

        var vrrp3 = entries.Single(e => e is { Protocol: SegmentProtocol.Vrrp, Vhid: 3 });
        Assert.Equal(s.Node(3).IPv4, vrrp3.Master);
        Assert.Equal((byte)150, vrrp3.Priority);
        Assert.Equal(TimeSpan.FromMilliseconds(100), vrrp3.Interval);
        Assert.Equal([IPAddress.Parse("192.0.2.103")], vrrp3.Addresses);
        Assert.Equal(SegmentFindings.None, vrrp3.Findings);
        Assert.Equal(0, good.BadPackets);

        // The same from carpd, on the watcher that has no carp interface.
        var watcherd = CarpdProcess.Start(s, "watcherd", watcher.Namespace, SecretFile.Write(Path.Combine(s.WorkDirectory, "watcher.conf"), "net.inet.carp.preempt=1\n"));
        var socket = Path.Combine(s.WorkDirectory, "watcherd.sock");
        var remote = SegmentWatchControl.Watch(socket, new SegmentWatchRequest { Interfaces = [watcher.Interface], Duration = TimeSpan.FromSeconds(2.5) });
        Assert.Equal([(SegmentProtocol.Carp, (byte)1), (SegmentProtocol.Carp, (byte)2), (SegmentProtocol.Vrrp, (byte)3)],
            remote.Entries.Select(e => (e.Protocol, e.Vhid)));
        Assert.Equal([s.Node(1).IPv4, s.Node(3).IPv4, s.Node(3).IPv4], remote.Entries.Select(e => e.Master));
        Assert.True(remote.Frames > 0);
        var refused = Assert.Throws<CarpException>(() => SegmentWatchControl.Watch(socket,
            new SegmentWatchRequest { Interfaces = ["nosuch0"], Duration = TimeSpan.FromSeconds(1) }));
        Assert.Equal(CarpErrorCode.UnknownCarpDev, refused.Code);
        watcherd.Kill();

        // A pass that is not vhid 1's: its adverts fail the HMAC over its address.
        var mismatch = wrong.Snapshot().Single(e => e is { Protocol: SegmentProtocol.Carp, Vhid: 1 });
        Assert.True(mismatch.Findings.HasFlag(SegmentFindings.PassMismatch));
        Assert.True(mismatch.HmacFailures > 0);
        Assert.False(good.Snapshot().Single(e => e.Vhid == 1 && e.Protocol == SegmentProtocol.Carp).Findings.HasFlag(SegmentFindings.PassMismatch));

        // The two carpd hosts no longer hear each other: fw2 takes over while fw1 stays master.
        using (BridgeFilter.Partition(s, "watchsplit", s.Node(1), s.Node(2)))
        {
            fw2.WaitState(CarpState.Master, TimeSpan.FromSeconds(8));
            Assert.True(Scenario.Eventually(() => good.Snapshot().Single(e => e.Vhid == 1 && e.Protocol == SegmentProtocol.Carp).Findings.HasFlag(SegmentFindings.SplitBrain),
                TimeSpan.FromSeconds(5)), "no split brain flagged");
            var split = good.Snapshot().Single(e => e.Vhid == 1 && e.Protocol == SegmentProtocol.Carp);
            Assert.Equal([s.Node(1).IPv4, s.Node(2).IPv4], split.Masters.OrderBy(a => a.ToString()));
        }

        // Both carpd hosts die (SIGKILL: no bow-out): nobody advertises vhid 1 any more; ucarp and keepalived go on.
        long killed = Clock.Now;
        fw1.Kill();
        fw2.Kill();
        Assert.True(Scenario.Eventually(() => good.Snapshot().Single(e => e.Vhid == 1 && e.Protocol == SegmentProtocol.Carp).Findings.HasFlag(SegmentFindings.MasterSilent),
            TimeSpan.FromSeconds(9)), "vhid 1 not flagged silent");
        s.Measure($"MasterSilent flagged {Clock.Ms(killed, Clock.Now):0} ms after both carpd hosts were killed (limit 3 × (advbase + 1 s) = 6000 ms)");
        Assert.All(good.Snapshot().Where(e => e.Vhid != 1), e => Assert.False(e.Findings.HasFlag(SegmentFindings.MasterSilent)));
        Assert.Equal(0, good.BadPackets);
        ucarp.Kill();
        keepalived.Kill();
    }

    private static SegmentMonitor Watch(Scenario s, TestNode node, SegmentWatchOptions options)
    {
        var monitor = new SegmentMonitor(options);
        NetworkNamespace.Run(node.Namespace, () => SegmentCapture.Open(monitor, [node.Interface]));
        return monitor;
    }

    private static string Config(Scenario s, string name, byte advSkew) => SecretFile.Write(Path.Combine(s.WorkDirectory, name),
        $"net.inet.carp.preempt=1\ncarp1 vhid 1 carpdev eth0 pass {Pass} advskew {advSkew} 192.0.2.100/24\n");
}
