using System.Globalization;
using System.Text.RegularExpressions;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using Carp.Testbed;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// The seed's ARP-balancing example on the Linux wire (docs/protocol.md#arp-balancing): two carpds, vhids 1 and 2 both
/// carrying 192.0.2.10 with the skews swapped, arpbalance and preempt on; eight clients (macvlans with their own MAC and
/// address in one namespace) split by the BSD hash; host A killed and started again.
/// </summary>
public sealed partial class ArpBalanceScenarios
{
    private const string Vip = "192.0.2.10";
    private const string Vmac1 = "00:00:5e:00:01:01";
    private const string Vmac2 = "00:00:5e:00:01:02";
    private const int Clients = 8;

    [Fact]
    public void Eight_clients_split_by_the_hash_survive_a_killed_host_and_split_again_when_it_returns()
    {
        using var s = new Scenario(nodes: 3); // node 3: the clients
        var nA = s.Node(1).Namespace;
        var nB = s.Node(2).Namespace;
        var nC = s.Node(3).Namespace;
        string confA = Config(s, "a.conf", skew1: 0, skew2: 100);
        string confB = Config(s, "b.conf", skew1: 100, skew2: 0);
        AddClients(s, nC);
        Count(s, nA);
        Count(s, nB);

        var a = CarpdProcess.Start(s, "carpdA", nA, confA);
        var b = CarpdProcess.Start(s, "carpdB", nB, confB);
        WaitState(s, a, "carp0", CarpState.Master);
        WaitState(s, b, "carp1", CarpState.Master);
        WaitState(s, a, "carp1", CarpState.Backup);
        WaitState(s, b, "carp0", CarpState.Backup);

        // The balancing set in the status, as Get-CarpStatus and carpd's getInterfaces show it.
        var status = a.Client.GetInterfaces().Single(i => i.Name == "carp0");
        Assert.Equal([1, 2], status.BalancingSet);
        Assert.True(status.AnswersArp);
        Assert.False(a.Client.GetInterfaces().Single(i => i.Name == "carp1").AnswersArp);
        Assert.Contains("carpps_", Nft(s, nA, "list", "tables", "arp"), StringComparison.Ordinal);

        // One ARP reply per request, from the master of the vhid the requester's address selects (the kernel stays silent).
        Assert.Equal(["00:00:5E:00:01:01", "00:00:5E:00:01:01"], Arping.Replies(s.Net, nC, Vip, requests: 2, device: "cl0"));
        Assert.Equal(["00:00:5E:00:01:02", "00:00:5E:00:01:02"], Arping.Replies(s.Net, nC, Vip, requests: 2, device: "cl1"));

        var counted = PingAll(s, nC);
        var atA = Counters(s, nA);
        var atB = Counters(s, nB);
        for (var k = 0; k < Clients; k++)
        {
            // 192.0.2.(100 + k) in host order modulo 2: even → vhid 1 (A), odd → vhid 2 (B).
            Assert.Equal(Expected(k), Neighbour(s, nC, k));
            Assert.Equal(k % 2 == 0 ? counted : 0, atA[k]);
            Assert.Equal(k % 2 == 0 ? 0 : counted, atB[k]);
        }

        s.Measure($"ARP balancing: {Clients} clients split {atA.Count(c => c > 0)} on A / {atB.Count(c => c > 0)} on B as the hash says");

        a.Kill();
        long killed = Clock.Now;
        // Its guardian removes its addresses, macvlans and its nftables table with it.
        Assert.True(Scenario.Eventually(() => !Nft(s, nA, "list", "tables", "arp").Contains("carpps_", StringComparison.Ordinal), TimeSpan.FromSeconds(2), 5),
            "the killed carpd's ARP-balancing table is still there");
        s.Measure($"ARP balancing: the killed carpd's nftables table gone {Clock.Ms(killed, Clock.Now):0} ms after its death (polled with nft every 5 ms)");
        Assert.True(Scenario.Eventually(() => s.InterfacesWith(nA, Vip).Length == 0, TimeSpan.FromSeconds(2)), "the killed carpd's address is still there");
        WaitState(s, b, "carp0", CarpState.Master);
        long tookOver = Clock.Now;
        Assert.True(b.Client.GetInterfaces().All(i => i.AnswersArp));
        // B announced vhid 1's MAC to everybody and put vhid 2's clients back on vhid 2's MAC: both are B's now.
        Assert.True(Scenario.Eventually(() => Enumerable.Range(0, Clients).All(k => Neighbour(s, nC, k) == Expected(k)), TimeSpan.FromSeconds(3)),
            "after the takeover: " + string.Join(", ", Enumerable.Range(0, Clients).Select(k => Neighbour(s, nC, k))));
        s.Measure($"ARP balancing: every client's cache right (vhid 1's MAC or vhid 2's, both B's) {Clock.Ms(tookOver, Clock.Now):0} ms after B was seen MASTER of vhid 1 (polled every 50 ms)");
        var before = Counters(s, nB);
        counted = PingAll(s, nC);
        var after = Counters(s, nB);
        for (var k = 0; k < Clients; k++)
        {
            Assert.Equal(counted, after[k] - before[k]); // B answers everybody
        }

        var a2 = CarpdProcess.Start(s, "carpdA'", nA, confA);
        WaitState(s, a2, "carp0", CarpState.Master); // preempt: vhid 1 goes back to A
        long returned = Clock.Now;
        WaitState(s, b, "carp0", CarpState.Backup);
        Assert.Equal(CarpState.Master, b.Client.GetInterfaces().Single(i => i.Name == "carp1").State);
        // A announced vhid 1's MAC to everybody (and again two adverts later); B put its clients back each time.
        Assert.True(Scenario.Eventually(() => Enumerable.Range(0, Clients).All(k => Neighbour(s, nC, k) == Expected(k)), TimeSpan.FromSeconds(4)),
            "after the return: " + string.Join(", ", Enumerable.Range(0, Clients).Select(k => Neighbour(s, nC, k))));
        s.Measure($"ARP balancing: the split restored in every client's cache {Clock.Ms(returned, Clock.Now):0} ms after A was seen MASTER of vhid 1 again (polled every 50 ms)");
        // Past A's repeated announcement (the second advert after its takeover) the split still holds.
        Thread.Sleep(TimeSpan.FromSeconds(2.5));
        Assert.All(Enumerable.Range(0, Clients), k => Assert.Equal(Expected(k), Neighbour(s, nC, k)));
        var beforeA = Counters(s, nA);
        var beforeB = Counters(s, nB);
        counted = PingAll(s, nC);
        var afterA = Counters(s, nA);
        var afterB = Counters(s, nB);
        for (var k = 0; k < Clients; k++)
        {
            Assert.Equal(k % 2 == 0 ? counted : 0, afterA[k] - beforeA[k]);
            Assert.Equal(k % 2 == 0 ? 0 : counted, afterB[k] - beforeB[k]);
        }
    }

    [Fact]
    public void Switching_arpbalance_takes_effect_at_once_and_a_stopped_engine_leaves_no_rule_behind()
    {
        using var s = new Scenario(nodes: 1);
        var ns = s.Node(1).Namespace;
        var engine = s.Engine("A", ns);
        engine.Create(Shared("carp0", 1));
        engine.Create(Shared("carp1", 2));
        Assert.DoesNotContain("carpps_", Nft(s, ns, "list", "tables", "arp"), StringComparison.Ordinal);
        Assert.Equal([1, 2], engine.Status("carp1").BalancingSet);
        // The table of an engine that died with its guardian (a SIGKILL to the whole unit) goes when the next one needs its own.
        s.Exec(ns, "nft", "add", "table", "arp", "carpps_4194303").EnsureSuccess();

        engine.Service.SetSysctl("arpbalance", 1);
        Assert.DoesNotContain("carpps_4194303", Nft(s, ns, "list", "tables", "arp"), StringComparison.Ordinal);
        var table = Nft(s, ns, "list", "table", "arp", Carp.Linux.LinuxWire.ArpTableName);
        Assert.Contains($"elements = {{ {Vip} }}", table, StringComparison.Ordinal);
        Assert.Contains("arp operation request arp daddr ip @balanced", table, StringComparison.Ordinal);

        engine.Service.SetSysctl("arpbalance", 0);
        Assert.DoesNotContain("carpps_", Nft(s, ns, "list", "tables", "arp"), StringComparison.Ordinal);

        engine.Service.SetSysctl("arpbalance", 1);
        Assert.Contains("carpps_", Nft(s, ns, "list", "tables", "arp"), StringComparison.Ordinal);
        engine.Dispose();
        Assert.DoesNotContain("carpps_", Nft(s, ns, "list", "tables", "arp"), StringComparison.Ordinal);
        Assert.Empty(s.InterfacesWith(ns, Vip));
    }

    private static VirtualHostConfig Shared(string name, byte vhid) => new()
    {
        Name = name,
        Vhid = vhid,
        CarpDev = "eth0",
        Key = CarpKey.FromPassphrase("foobar"),
        Addresses = [CarpAddress.Parse($"{Vip}/24")],
    };

    private static string Expected(int k) => k % 2 == 0 ? Vmac1 : Vmac2;

    private static string Config(Scenario s, string fileName, byte skew1, byte skew2) =>
        SecretFile.Write(Path.Combine(s.WorkDirectory, fileName),
            "net.inet.carp.preempt=1\nnet.inet.carp.arpbalance=1\n" +
            $"carp0 vhid 1 carpdev eth0 pass foobar advbase 1 advskew {skew1} {Vip}/24\n" +
            $"carp1 vhid 2 carpdev eth0 pass foobar advbase 1 advskew {skew2} {Vip}/24\n");

    /// <summary>Eight clients in one namespace: macvlans cl0..cl7 with 02:cc:00:00:00:(100 + k) and 192.0.2.(100 + k)/24.</summary>
    private static void AddClients(Scenario s, string ns)
    {
        // Only the interface that has an address answers for it (the hosts ask for each client by broadcast).
        s.Exec(ns, "sysctl", "-qw", "net.ipv4.conf.all.arp_ignore=1").EnsureSuccess();
        for (var k = 0; k < Clients; k++)
        {
            var name = $"cl{k}";
            s.Net.Ip("-n", ns, "link", "add", name, "link", "eth0", "type", "macvlan", "mode", "bridge");
            s.Net.Ip("-n", ns, "link", "set", name, "address", $"02:cc:00:00:00:{100 + k:x2}");
            s.Net.Ip("-n", ns, "addr", "add", $"192.0.2.{100 + k}/24", "dev", name);
            s.Net.Ip("-n", ns, "link", "set", name, "up");
        }
    }

    /// <summary>An nftables counter per client for the pings that reach this host (any of its interfaces).</summary>
    private static void Count(Scenario s, string ns)
    {
        var rules = string.Concat(Enumerable.Range(0, Clients).Select(k =>
            $"    ip saddr 192.0.2.{100 + k} ip daddr {Vip} icmp type echo-request counter\n"));
        var script = Path.Combine(s.WorkDirectory, $"count-{ns}.nft");
        File.WriteAllText(script, $"table inet arpbaltest {{\n  chain pre {{\n    type filter hook prerouting priority -300; policy accept;\n{rules}  }}\n}}\n");
        s.Exec(ns, "nft", "-f", script).EnsureSuccess();
    }

    private static long[] Counters(Scenario s, string ns)
    {
        var listing = Nft(s, ns, "list", "table", "inet", "arpbaltest");
        var counters = new long[Clients];
        foreach (Match m in CounterLine().Matches(listing))
        {
            counters[int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) - 100] = long.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        }

        return counters;
    }

    /// <summary>Three pings from every client, each bound to its macvlan; every one must be answered. Returns the pings per client.</summary>
    private static int PingAll(Scenario s, string ns)
    {
        for (var k = 0; k < Clients; k++)
        {
            var ping = s.Exec(ns, "ping", "-c", "3", "-i", "0.2", "-W", "2", "-I", $"cl{k}", Vip);
            Assert.True(ping.ExitCode == 0, $"cl{k} (192.0.2.{100 + k}) could not ping {Vip}: {ping.StandardOutput}");
        }

        return 3;
    }

    /// <summary>The MAC client <paramref name="k"/> has for the shared address, or what ip neigh says instead.</summary>
    private static string Neighbour(Scenario s, string ns, int k)
    {
        var line = s.Net.Ip("-n", ns, "neigh", "show", Vip, "dev", $"cl{k}").StandardOutput.Trim();
        var at = line.IndexOf("lladdr ", StringComparison.Ordinal);
        return at < 0 ? $"({line})" : line.Substring(at + 7, 17);
    }

    private static string Nft(Scenario s, string ns, params string[] args) => s.Exec(ns, ["nft", .. args]).StandardOutput;

    private static void WaitState(Scenario s, CarpdProcess carpd, string name, CarpState state)
    {
        var last = CarpState.Init;
        Assert.True(Scenario.Eventually(() => (last = carpd.Client.GetInterfaces().Single(i => i.Name == name).State) == state, TimeSpan.FromSeconds(10), 25),
            $"{name} is {last}, not {state}");
        s.Log("test", $"{name} is {state}");
    }

    [GeneratedRegex(@"ip saddr 192\.0\.2\.(\d+) .*counter packets (\d+)")]
    private static partial Regex CounterLine();
}
