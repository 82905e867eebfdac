using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Testbed;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// VRRP's Accept_Mode on the Linux wire (docs/protocol.md#vrrp-accept-mode): node 1 is MASTER of an IPv4 and an IPv6
/// virtual router without Accept_Mode, node 2 a client. The client's pings to the virtual addresses go unanswered while
/// ARP and neighbour discovery for them are still answered with the VRRP virtual MACs; switching Accept_Mode on makes
/// them answered; a stopped engine leaves no nftables table behind.
/// </summary>
public sealed class VrrpAcceptModeScenarios
{
    private const string Vip4 = "192.0.2.1";
    private const string Vip6 = "2001:db8::1";

    private static VirtualHostConfig Vrrp(string name, byte vhid, string address) => new()
    {
        Name = name,
        Vhid = vhid,
        CarpDev = "eth0",
        Protocol = VirtualHostProtocol.Vrrp,
        Priority = 200,
        Interval = 10,
        Accept = false,
        Addresses = [CarpAddress.Parse(address)],
    };

    [Fact]
    public void A_master_without_accept_mode_answers_arp_and_nd_but_not_pings_until_accept_mode_is_switched_on()
    {
        using var s = new Scenario(nodes: 2);
        var ns = s.Node(1).Namespace;
        var client = s.Node(2).Namespace;
        var engine = s.Engine("A", ns);
        // The table of an engine that died with its guardian goes when the next one needs its own.
        s.Exec(ns, "nft", "add", "table", "inet", "carpps_accept_4194303").EnsureSuccess();
        engine.Create(Vrrp("vrrp4", 1, $"{Vip4}/24"));
        engine.Create(Vrrp("vrrp6", 2, $"{Vip6}/64"));
        engine.WaitState(CarpState.Master, TimeSpan.FromSeconds(5), name: "vrrp4");
        engine.WaitState(CarpState.Master, TimeSpan.FromSeconds(5), name: "vrrp6");
        Assert.False(engine.Status("vrrp4").Accept);

        var tables = Nft(s, ns, "list", "tables", "inet");
        Assert.DoesNotContain("carpps_accept_4194303", tables, StringComparison.Ordinal);
        var table = Nft(s, ns, "list", "table", "inet", Carp.Linux.LinuxWire.AcceptTableName);
        Assert.Contains(Vip4, table, StringComparison.Ordinal);
        Assert.Contains(Vip6, table, StringComparison.Ordinal);
        Assert.Contains("hook input", table, StringComparison.Ordinal);

        // ARP is answered, with VRRP's virtual MAC; the ping is not.
        Assert.Equal(["00:00:5E:00:01:01"], Arping.Replies(s.Net, client, Vip4, requests: 1));
        Assert.False(Ping(s, client, Vip4), $"{Vip4} answered a ping without Accept_Mode");
        // IPv6: the neighbour solicitation is answered (the client learns the virtual MAC), the echo request is dropped.
        Assert.False(Ping(s, client, Vip6), $"{Vip6} answered a ping without Accept_Mode");
        Assert.Contains("00:00:5e:00:02:02", s.Net.Ip("-n", client, "-6", "neigh", "show", Vip6, "dev", "eth0").StandardOutput, StringComparison.Ordinal);
        // The node's own address is untouched.
        Assert.True(Ping(s, client, "192.0.2.11"), "the master's own address does not answer");

        engine.Service.SetInterface("vrrp4", new InterfaceChange { Accept = true });
        Assert.True(engine.Status("vrrp4").Accept);
        Assert.True(Ping(s, client, Vip4), $"{Vip4} does not answer with Accept_Mode on");
        Assert.False(Ping(s, client, Vip6), $"{Vip6} answered a ping without Accept_Mode");
        Assert.DoesNotContain(Vip4, Nft(s, ns, "list", "table", "inet", Carp.Linux.LinuxWire.AcceptTableName), StringComparison.Ordinal);

        engine.Service.SetInterface("vrrp6", new InterfaceChange { Accept = true });
        Assert.DoesNotContain("carpps_accept_", Nft(s, ns, "list", "tables", "inet"), StringComparison.Ordinal);
        Assert.True(Ping(s, client, Vip6), $"{Vip6} does not answer with Accept_Mode on");

        // Off again, then the engine stops: the table goes with it.
        engine.Service.SetInterface("vrrp4", new InterfaceChange { Accept = false });
        Assert.Contains("carpps_accept_", Nft(s, ns, "list", "tables", "inet"), StringComparison.Ordinal);
        Assert.False(Ping(s, client, Vip4), $"{Vip4} answered a ping after Accept_Mode was switched off");
        engine.Dispose();
        Assert.DoesNotContain("carpps_accept_", Nft(s, ns, "list", "tables", "inet"), StringComparison.Ordinal);
        Assert.Empty(s.InterfacesWith(ns, Vip4));
    }

    /// <summary>Two pings, one second each at most: true when one was answered.</summary>
    private static bool Ping(Scenario s, string ns, string address) =>
        s.Exec(ns, "ping", "-c", "2", "-i", "0.2", "-W", "1", address).ExitCode == 0;

    private static string Nft(Scenario s, string ns, params string[] args) => s.Exec(ns, ["nft", .. args]).StandardOutput;
}
