using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Carp.Network.Tests.Faults;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// Unicast peers on the Linux wire (docs/protocol.md#unicast-peers, docs/protocol.md#unicast-on-linux): FreeBSD's
/// tests/sys/netinet/carp.sh unicast_v4, unicast_v6 and unicast_ll_v6 and OpenBSD's regress carp_3 and carp_4
/// (docs/protocol.md#scenario-catalogue). Where the nodes share a bridge, an nftables rule on it drops every frame to
/// 224.0.0.18 and ff02::12, so an election that works proves the adverts are unicast; the captures show where they went.
/// </summary>
public sealed class UnicastPeerScenarios
{
    private static readonly TimeSpan Election = TimeSpan.FromSeconds(8);

    private static VirtualHostConfig Vhid1(string address, IPAddress? peer = null, IPAddress? peer6 = null, byte advSkew = 0) => new()
    {
        Name = "carp1",
        Vhid = 1,
        CarpDev = "eth0",
        AdvSkew = advSkew,
        Addresses = [CarpAddress.Parse(address)],
        Peer = peer,
        Peer6 = peer6,
    };

    /// <summary>A bridge filter that drops CARP's multicast groups between the ports (its counters say how many).</summary>
    private static BridgeFilter DropMulticastCarp(Scenario s) =>
        BridgeFilter.Add(s, "nomcast", "ip daddr 224.0.0.18 counter drop", "ip6 daddr ff02::12 counter drop");

    /// <summary>FreeBSD's wait_for_carp: one MASTER, the other BACKUP and still hearing it two adverts later.</summary>
    private static (EngineNode Master, EngineNode Backup) WaitForCarp(Scenario s, EngineNode a, EngineNode b)
    {
        static bool IsMaster(CarpEvent e) => e is CarpStateChangedEvent { NewState: CarpState.Master };
        var either = Task.WhenAny(a.Events.When(IsMaster), b.Events.When(IsMaster));
        Assert.True(either.Wait(Election, TestContext.Current.CancellationToken), "neither node became MASTER");
        var (master, backup) = a.State() == CarpState.Master ? (a, b) : (b, a);
        HearsTwoMore(backup);
        Assert.Equal(CarpState.Master, master.State());
        Assert.Equal(CarpState.Backup, backup.State());
        Assert.DoesNotContain(backup.Transitions(), t => t.Item.NewState == CarpState.Master);
        s.Log("test", $"{master.Label} is MASTER, {backup.Label} BACKUP");
        return (master, backup);
    }

    private static void HearsTwoMore(EngineNode backup)
    {
        long heard = backup.Stats.IPackets + backup.Stats.IPackets6;
        Assert.True(Scenario.Eventually(() => backup.Stats.IPackets + backup.Stats.IPackets6 >= heard + 2, TimeSpan.FromSeconds(5)),
            $"{backup.Label} did not hear the master");
    }

    private static string Mac(Scenario s, string ns, string ifname = "eth0") =>
        s.Net.Exec(ns, "cat", $"/sys/class/net/{ifname}/address").EnsureSuccess().StandardOutput.Trim();

    private static void Sysctl(Scenario s, string ns, string key, string value) =>
        s.Net.Exec(ns, "sysctl", "-qw", $"{key}={value}").EnsureSuccess();

    /// <summary>The link-local address of eth0 in <paramref name="ns"/>, once duplicate address detection is over.</summary>
    private static IPAddress LinkLocal(Scenario s, string ns)
    {
        string line = string.Empty;
        Assert.True(Scenario.Eventually(() =>
        {
            line = s.Net.Ip("-n", ns, "-6", "-o", "addr", "show", "dev", "eth0", "scope", "link").StandardOutput.Trim();
            return line.Length > 0 && !line.Contains("tentative", StringComparison.Ordinal);
        }, TimeSpan.FromSeconds(5)), $"no usable link-local address in {ns}: {line}");
        return IPAddress.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3].Split('/')[0]);
    }

    /// <summary>Moves node <paramref name="n"/> off the scenario's default addresses onto <paramref name="addresses"/>.</summary>
    private static void Readdress(Scenario s, TestNode n, params string[] addresses)
    {
        s.Net.Ip("-n", n.Namespace, "addr", "flush", "dev", "eth0", "scope", "global");
        foreach (var address in addresses)
        {
            s.Net.Ip("-n", n.Namespace, "addr", "add", address, "dev", "eth0", "nodad");
        }
    }

    private static void AssertUnicastAdverts(Recorder<UnicastFrame> sent, IPAddress peer, long since, byte ttl = CarpConstants.Ttl)
    {
        var adverts = sent.All(f => f.Kind == UnicastFrame.Carp, since);
        Assert.NotEmpty(adverts);
        Assert.All(adverts, a =>
        {
            Assert.Equal(peer, a.Item.Destination);
            Assert.Equal(ttl, a.Item.Ttl);
            Assert.False(a.Item.DestinationMac.GetAddressBytes()[0] % 2 == 1, $"a unicast advert went to a group MAC: {a.Item}");
        });
    }

    [Fact]
    public void Unicast_v4_routed_peers_elect_one_master_and_keep_the_peer_after_an_advskew_change()
    {
        // FreeBSD's topology: "one" routes between 198.51.100.0/25 (two) and 198.51.100.128/25 (three); no shared segment,
        // so the adverts cross a router: TTL 254 on arrival, accepted only because the vhid has a unicast peer (FreeBSD rule).
        using var s = new Scenario(nodes: 0, bridgeAddresses: false);
        var (one, two, three) = RoutedV4(s);
        var atRouterA = UnicastFrame.Watch(s, one, "to-two");
        var atRouterB = UnicastFrame.Watch(s, one, "to-three");
        var atTwo = UnicastFrame.Watch(s, two, "eth0");
        var atThree = UnicastFrame.Watch(s, three, "eth0");
        var nodeTwo = s.Engine("two", two);
        var nodeThree = s.Engine("three", three);
        nodeTwo.Create(Vhid1("192.0.2.1/32", peer: IPAddress.Parse("198.51.100.224")));
        nodeThree.Create(Vhid1("192.0.2.1/32", peer: IPAddress.Parse("198.51.100.2")));
        long started = Clock.Now;

        var (master, backup) = WaitForCarp(s, nodeTwo, nodeThree);
        var (masterPeer, watch) = master == nodeTwo ? (IPAddress.Parse("198.51.100.224"), atRouterA) : (IPAddress.Parse("198.51.100.2"), atRouterB);
        AssertUnicastAdverts(watch, masterPeer, started);
        // One hop later, TTL 254: accepted only because the vhid has a unicast peer (FreeBSD's rule).
        AssertUnicastAdverts(master == nodeTwo ? atThree : atTwo, masterPeer, started, ttl: CarpConstants.Ttl - 1);
        Assert.True(backup.Stats.IPackets >= 2);
        Assert.Equal(0, backup.Stats.BadTtl);

        // The VIP through a host route via the master, as the FreeBSD test does.
        string via = master == nodeTwo ? "198.51.100.2" : "198.51.100.224";
        s.Net.Ip("-n", one, "route", "add", "192.0.2.1/32", "via", via);
        var ping = s.Exec(one, "ping", "-c", "3", "-i", "0.2", "-W", "2", "192.0.2.1");
        Assert.True(ping.Succeeded, ping.StandardOutput + ping.StandardError);

        // PR 284872: after "vhid 1 advskew 2" the peer is still 198.51.100.224, and unicast still works.
        var status = nodeTwo.Service.SetInterface("carp1", new InterfaceChange { AdvSkew = 2 });
        Assert.Equal(IPAddress.Parse("198.51.100.224"), status.Peer);
        Assert.Null(status.Peer6);
        long changed = Clock.Now;
        HearsTwoMore(backup);
        Assert.Equal(CarpState.Master, master.State());
        Assert.Equal(CarpState.Backup, backup.State());
        AssertUnicastAdverts(watch, masterPeer, changed);
        s.Measure($"unicast_v4: {master.Label} MASTER, adverts to {masterPeer} with TTL 255 leave, arrive with 254; {backup.Label} heard {backup.Stats.IPackets}, badttl {backup.Stats.BadTtl}");
    }

    /// <summary>
    /// FreeBSD unicast_v4's topology: "one" routes between 198.51.100.0/25 ("two", 198.51.100.2) and 198.51.100.128/25
    /// ("three", 198.51.100.224); each node has a host route to the other through "one". No shared segment.
    /// </summary>
    private static (string One, string Two, string Three) RoutedV4(Scenario s)
    {
        string one = s.Net.AddNamespace("one"), two = s.Net.AddNamespace("two"), three = s.Net.AddNamespace("three");
        s.Net.AddVethPair(one, "to-two", two, "eth0");
        s.Net.AddVethPair(one, "to-three", three, "eth0");
        s.Net.Ip("-n", one, "addr", "add", "198.51.100.1/25", "dev", "to-two");
        s.Net.Ip("-n", one, "addr", "add", "198.51.100.129/25", "dev", "to-three");
        Sysctl(s, one, "net.ipv4.ip_forward", "1");
        s.Net.Ip("-n", two, "addr", "add", "198.51.100.2/25", "dev", "eth0");
        s.Net.Ip("-n", two, "route", "add", "198.51.100.224/32", "via", "198.51.100.1");
        s.Net.Ip("-n", three, "addr", "add", "198.51.100.224/25", "dev", "eth0");
        s.Net.Ip("-n", three, "route", "add", "198.51.100.2/32", "via", "198.51.100.129");
        var reach = s.Exec(two, "ping", "-c", "1", "-W", "2", "198.51.100.224");
        Assert.True(reach.Succeeded, "two cannot reach three: " + reach.StandardOutput);
        return (one, two, three);
    }

    [Fact]
    public void Unicast_v4_routed_adverts_fail_the_OpenBSD_ttl_rule()
    {
        // OpenBSD checks TTL 255 before anything else, unicast or not (carp_proto_input_if): a routed peer is never heard.
        using var s = new Scenario(nodes: 0, bridgeAddresses: false);
        var (_, two, three) = RoutedV4(s);
        var nodeTwo = s.Engine("two", two);
        var nodeThree = s.Engine("three", three);
        nodeTwo.Create(Vhid1("192.0.2.1/32", peer: IPAddress.Parse("198.51.100.224")) with { Profile = CompatibilityProfile.OpenBsd });
        nodeThree.Create(Vhid1("192.0.2.1/32", peer: IPAddress.Parse("198.51.100.2")) with { Profile = CompatibilityProfile.OpenBsd });

        nodeTwo.WaitState(CarpState.Master, Election);
        nodeThree.WaitState(CarpState.Master, Election);
        Assert.True(Scenario.Eventually(() => nodeTwo.Stats.BadTtl >= 2 && nodeThree.Stats.BadTtl >= 2, TimeSpan.FromSeconds(4)),
            $"badttl: two {nodeTwo.Stats.BadTtl}, three {nodeThree.Stats.BadTtl}");
        Assert.Equal(CarpState.Master, nodeTwo.State());
        Assert.Equal(CarpState.Master, nodeThree.State());
    }

    [Fact]
    public void Unicast_v6_routed_global_peers_elect_one_master_with_multicast_dropped()
    {
        using var s = new Scenario(bridgeAddresses: false);
        string one = s.Bridge;
        foreach (var address in new[] { "2001:db8::4/64", "2001:db8:1::1/64", "2001:db8:2::1/64" })
        {
            s.Net.Ip("-n", one, "addr", "add", address, "dev", "br0", "nodad");
        }

        Sysctl(s, one, "net.ipv6.conf.all.forwarding", "1");
        Readdress(s, s.Node(1), "2001:db8:1::2/64");
        Readdress(s, s.Node(2), "2001:db8:2::2/64");
        s.Net.Ip("-n", s.Node(1).Namespace, "-6", "route", "add", "default", "via", "2001:db8:1::1");
        s.Net.Ip("-n", s.Node(2).Namespace, "-6", "route", "add", "default", "via", "2001:db8:2::1");
        _ = LinkLocal(s, s.Node(1).Namespace);
        _ = LinkLocal(s, s.Node(2).Namespace);
        using var filter = DropMulticastCarp(s);
        var sentBy1 = UnicastFrame.Watch(s, one, s.Node(1).BridgePort);
        var sentBy2 = UnicastFrame.Watch(s, one, s.Node(2).BridgePort);

        var two = s.Engine("two", s.Node(1).Namespace);
        var three = s.Engine("three", s.Node(2).Namespace);
        two.Create(Vhid1("2001:db8::1/64", peer6: IPAddress.Parse("2001:db8:2::2")));
        three.Create(Vhid1("2001:db8::1/64", peer6: IPAddress.Parse("2001:db8:1::2")));
        long started = Clock.Now;

        var (master, backup) = WaitForCarp(s, two, three);
        // Routed through "one": the master's global address as the source (a link-local one cannot be routed), hop limit 255 when sent.
        var (peer, sent, source) = master == two
            ? (IPAddress.Parse("2001:db8:2::2"), sentBy1, IPAddress.Parse("2001:db8:1::2"))
            : (IPAddress.Parse("2001:db8:1::2"), sentBy2, IPAddress.Parse("2001:db8:2::2"));
        AssertUnicastAdverts(sent, peer, started);
        Assert.All(sent.All(f => f.Kind == UnicastFrame.Carp, started), a => Assert.Equal(source, a.Item.Source));
        Assert.Equal(0, filter.Dropped());
        Assert.True(backup.Stats.IPackets6 >= 2);

        var ping = s.Exec(one, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", "2001:db8::1");
        Assert.True(ping.Succeeded, ping.StandardOutput + ping.StandardError);
        Assert.Equal(["carp1"], s.InterfacesWith(master.Namespace, "2001:db8::1"));
        Assert.Empty(s.InterfacesWith(backup.Namespace, "2001:db8::1"));
    }

    [Fact]
    public void Unicast_ll_v6_link_local_peers_elect_one_master_with_multicast_dropped()
    {
        using var s = new Scenario(bridgeAddresses: false);
        s.Net.Ip("-n", s.Bridge, "addr", "add", "2001:db8::4/64", "dev", "br0", "nodad");
        Readdress(s, s.Node(1), "2001:db8:1::2/64");
        Readdress(s, s.Node(2), "2001:db8:1::3/64");
        var ll1 = LinkLocal(s, s.Node(1).Namespace);
        var ll2 = LinkLocal(s, s.Node(2).Namespace);
        using var filter = DropMulticastCarp(s);
        var sentBy1 = UnicastFrame.Watch(s, s.Bridge, s.Node(1).BridgePort);
        var sentBy2 = UnicastFrame.Watch(s, s.Bridge, s.Node(2).BridgePort);

        var two = s.Engine("two", s.Node(1).Namespace);
        var three = s.Engine("three", s.Node(2).Namespace);
        two.Create(Vhid1("2001:db8::1/64", peer6: ll2));
        three.Create(Vhid1("2001:db8::1/64", peer6: ll1));
        long started = Clock.Now;

        var (master, backup) = WaitForCarp(s, two, three);
        var (peer, sent, source) = master == two ? (ll2, sentBy1, ll1) : (ll1, sentBy2, ll2);
        AssertUnicastAdverts(sent, peer, started);
        Assert.All(sent.All(f => f.Kind == UnicastFrame.Carp, started), a => Assert.Equal(source, a.Item.Source));
        Assert.Equal(0, filter.Dropped());

        var ping = s.Exec(s.Bridge, "ping", "-6", "-c", "3", "-i", "0.2", "-W", "2", "2001:db8::1");
        Assert.True(ping.Succeeded, ping.StandardOutput + ping.StandardError);
        Assert.Equal(["carp1"], s.InterfacesWith(master.Namespace, "2001:db8::1"));
        s.Measure($"unicast_ll_v6: {master.Label} MASTER, adverts {source} -> {peer}; {backup.Label} heard {backup.Stats.IPackets6}");
    }

    [Fact]
    public void Carp_3_unicast_carppeer_group_demote_swaps_master_within_a_tenth_of_a_second() => RunOpenBsd(MacMode.Virtual, "carp_3");

    [Fact]
    public void Carp_4_unicast_realmac_group_demote_swaps_master_within_a_tenth_of_a_second() => RunOpenBsd(MacMode.Real, "carp_4");

    /// <summary>
    /// OpenBSD regress carp_3 / carp_4 (docs/protocol.md#scenarios-openbsd): as carp_1 / carp_2 with <c>carppeer</c> set to
    /// each other, here with multicast dropped on the bridge. The OpenBSD profile requires TTL 255 from a unicast peer too.
    /// </summary>
    private static void RunOpenBsd(MacMode mode, string label)
    {
        const double deadlineMs = OpenBsdRegressScenarios.SwapDeadlineMs + OpenBsdRegressScenarios.MarginMs;
        using var s = new Scenario();
        using var filter = DropMulticastCarp(s);
        var (nodeA, nodeB) = (s.Node(1), s.Node(2));
        var fromA = UnicastFrame.Watch(s, s.Bridge, nodeA.BridgePort);
        var fromB = UnicastFrame.Watch(s, s.Bridge, nodeB.BridgePort);
        VirtualHostConfig Config(string group, byte advSkew, IPAddress peer) => OpenBsdRegressScenarios.Config(group, advSkew, mode) with { Peer = peer };
        var a = s.Engine("A", nodeA.Namespace);
        var b = s.Engine("B", nodeB.Namespace);
        a.Create(Config("a", 0, nodeB.IPv4));
        b.Create(Config("b", 100, nodeA.IPv4));
        string vipLink = mode == MacMode.Virtual ? "carp1" : "eth0";

        a.WaitState(CarpState.Master, Election);
        long masterAt = Clock.Now;
        HearsTwoMore(b);
        Assert.Equal(CarpState.Master, a.State());
        Assert.Equal(CarpState.Backup, b.State());
        Assert.Equal([vipLink], s.InterfacesWith(a.Namespace, "192.0.2.1"));
        Assert.Empty(s.InterfacesWith(b.Namespace, "192.0.2.1"));
        // Unicast to B, TTL 255, from A's own MAC whatever the MAC mode (the kernel sends it from the carpdev).
        AssertUnicastAdverts(fromA, nodeB.IPv4, masterAt);
        var macA = PhysicalAddress.Parse(Mac(s, a.Namespace).Replace(':', '-'));
        Assert.All(fromA.All(f => f.Kind == UnicastFrame.Carp, masterAt), f => Assert.Equal(macA, f.Item.SourceMac));
        // B's kernel took A's adverts without protocol-unreachable (its raw sockets stand for a listener).
        Assert.Empty(fromB.All(f => f.Kind == UnicastFrame.Icmp && f.Type == 3));

        long t0 = Clock.Now;
        var aBackup = a.Events.When(e => e is CarpStateChangedEvent { NewState: CarpState.Backup }, t0);
        var bMaster = b.Events.When(e => e is CarpStateChangedEvent { NewState: CarpState.Master }, t0);
        var status = a.Service.SetInterface("carp1", new InterfaceChange { DemoteAdjustment = 1 });
        Assert.Equal(1, status.DemoteCount);
        Assert.True(Task.WhenAll(aBackup, bMaster).Wait(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken),
            $"no swap within 5 s: A {a.State()}, B {b.State()}");
        double aMs = Clock.Ms(t0, aBackup.Result.At);
        double bMs = Clock.Ms(t0, bMaster.Result.At);
        s.Measure($"{label}: B MASTER at {bMs:0.0} ms, A BACKUP at {aMs:0.0} ms after carpdemote (deadline {deadlineMs} ms), unicast, multicast dropped");
        Assert.True(Math.Max(aMs, bMs) <= deadlineMs, $"swap took A {aMs:0.0} ms / B {bMs:0.0} ms");
        Assert.Equal(TransitionReason.RemoteDemoted, ((CarpStateChangedEvent)bMaster.Result.Item).Reason);
        Assert.Equal(TransitionReason.MoreFrequentMaster, ((CarpStateChangedEvent)aBackup.Result.Item).Reason);
        AssertUnicastAdverts(fromB, nodeA.IPv4, t0);
        Assert.True(Scenario.Eventually(() => s.InterfacesWith(b.Namespace, "192.0.2.1").SequenceEqual([vipLink]) &&
                                               s.InterfacesWith(a.Namespace, "192.0.2.1").Length == 0, TimeSpan.FromSeconds(2)),
            "the VIP did not move from A to B");
        Assert.Equal(0, filter.Dropped());
        Assert.Empty(fromA.All(f => f.Kind == UnicastFrame.Icmp && f.Type == 3));
    }

    [Fact]
    public void Mcast_returns_the_adverts_to_the_group()
    {
        using var s = new Scenario();
        var sent = UnicastFrame.Watch(s, s.Bridge, s.Node(1).BridgePort);
        var a = s.Engine("A", s.Node(1).Namespace);
        a.Create(Vhid1("192.0.2.1/24", peer: s.Node(2).IPv4));
        a.WaitState(CarpState.Master, Election);
        long unicastFrom = Clock.Now;
        _ = sent.Wait(f => f.Kind == UnicastFrame.Carp, TimeSpan.FromSeconds(3), "a unicast advert", unicastFrom);
        AssertUnicastAdverts(sent, s.Node(2).IPv4, unicastFrom);

        var status = a.Service.SetInterface("carp1", new InterfaceChange { Mcast = true });
        long multicastFrom = Clock.Now;
        Assert.Null(status.Peer);
        Assert.Equal(CarpState.Master, status.State);
        var advert = sent.Wait(f => f.Kind == UnicastFrame.Carp, TimeSpan.FromSeconds(3), "an advert after mcast", multicastFrom);
        Assert.Equal(CarpConstants.MulticastV4, advert.Item.Destination);
        Assert.Equal(PhysicalAddress.Parse("01-00-5E-00-00-12"), advert.Item.DestinationMac);
        Assert.Equal(PhysicalAddress.Parse("00-00-5E-00-01-01"), advert.Item.SourceMac);
    }

    [Fact]
    public void A_silent_backup_with_a_unicast_peer_keeps_its_MAC_known_and_the_master_does_not_need_to()
    {
        using var s = new Scenario();
        using var filter = DropMulticastCarp(s);
        var (n1, n2) = (s.Node(1), s.Node(2));
        var fromA = UnicastFrame.Watch(s, s.Bridge, n1.BridgePort);
        var fromB = UnicastFrame.Watch(s, s.Bridge, n2.BridgePort);
        var refresh = TimeSpan.FromSeconds(1);
        var a = s.Engine("A", n1.Namespace, configure: o => o with { BackupMacRefresh = refresh });
        var b = s.Engine("B", n2.Namespace, configure: o => o with { BackupMacRefresh = refresh });
        a.Create(Vhid1("192.0.2.1/24", peer: n2.IPv4, peer6: n2.IPv6));
        a.WaitState(CarpState.Master, Election);
        b.Create(Vhid1("192.0.2.1/24", peer: n1.IPv4, peer6: n1.IPv6, advSkew: 100));
        b.WaitState(CarpState.Backup, Election);
        long since = Clock.Now;

        // Three refresh intervals: B announces its own eth0 address from eth0's MAC (gratuitous ARP), about once each.
        var macB = PhysicalAddress.Parse(Mac(s, b.Namespace).Replace(':', '-'));
        bool IsRefresh(UnicastFrame f) => f.Kind == UnicastFrame.Arp && Equals(f.Source, n2.IPv4) && Equals(f.Destination, n2.IPv4);
        var first = fromB.Wait(IsRefresh, refresh * 2, "B's first announcement of its own address", since);
        var second = fromB.Wait(IsRefresh, refresh * 2, "B's second announcement", first.At + 1);
        var third = fromB.Wait(IsRefresh, refresh * 2, "B's third announcement", second.At + 1);
        Assert.Equal(macB, first.Item.SourceMac);
        Assert.True(Clock.Ms(first.At, third.At) >= 1.5 * refresh.TotalMilliseconds, "announcements came faster than the refresh interval");
        Assert.Equal(CarpState.Backup, b.State());
        // Never a virtual address, never an advert: B stays silent for CARP.
        Assert.DoesNotContain(fromB.All(_ => true, since), f => Equals(f.Item.Source, IPAddress.Parse("192.0.2.1")) || f.Item.Kind == UnicastFrame.Carp);
        // The master advertises from its own MAC to B anyway and announces nothing of its own.
        Assert.DoesNotContain(fromA.All(_ => true, since), f => f.Item.Kind == UnicastFrame.Arp && Equals(f.Item.Source, n1.IPv4));
        Assert.Equal(CarpState.Master, a.State());
        s.Measure($"backup MAC refresh: {fromB.All(IsRefresh, since).Count} announcements of {n2.IPv4} from {macB} in {Clock.Ms(since, Clock.Now):0} ms (interval {refresh.TotalSeconds} s)");
    }
}
