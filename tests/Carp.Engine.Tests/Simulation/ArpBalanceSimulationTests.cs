using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using Carp.Engine.Simulation;
using static Carp.Engine.Tests.Simulation.ScenarioBuilder;

namespace Carp.Engine.Tests.Simulation;

/// <summary>
/// The seed's ARP-balancing example on the simulated LAN (docs/protocol.md#arp-balancing): two hosts, vhids 1 and 2 both
/// carrying 192.0.2.10, the skews swapped, arpbalance and preempt on; eight clients that ask for the address and keep an
/// ARP cache as Linux does (a reply fills it, a gratuitous ARP overrides it).
/// </summary>
public class ArpBalanceSimulationTests
{
    private static readonly IPAddress Shared = IPAddress.Parse("192.0.2.10");

    [Fact]
    public void Clients_split_by_the_hash_move_to_the_survivor_and_come_back_when_the_peer_returns()
    {
        var lan = new SimulatedLan(seed: 7);
        var link = lan.AddLink();
        var sysctls = CarpSysctls.Default with { Preempt = true, ArpBalance = true };
        var a = lan.AddHost("a", sysctls);
        var b = lan.AddHost("b", sysctls);
        a.Connect(link, "eth0", "192.0.2.1");
        b.Connect(link, "eth0", "192.0.2.2");
        VirtualHostConfig[] configA = [Set("carp0", 1, 0), Set("carp1", 2, 100)];
        foreach (var config in configA)
        {
            a.Add(config);
        }

        b.Add(Set("carp0", 1, 100));
        b.Add(Set("carp1", 2, 0));
        Assert.True(lan.RunUntil(() => a["carp0"].State == CarpState.Master && b["carp1"].State == CarpState.Master, TimeSpan.FromSeconds(10)));
        Assert.Equal(CarpState.Backup, a["carp1"].State);
        Assert.Equal(CarpState.Backup, b["carp0"].State);

        var clients = Enumerable.Range(100, 8).Select(i => new Client(link, i)).ToArray();
        foreach (var client in clients)
        {
            client.Ask();
        }

        lan.RunFor(TimeSpan.FromMilliseconds(10));
        foreach (var client in clients)
        {
            // 192.0.2.x in host order modulo 2 vhids: even → vhid 1 (a), odd → vhid 2 (b); one answer each, from the vhid's MAC.
            Assert.Equal(1, client.Replies);
            Assert.Equal(CarpMac.Virtual(client.ExpectedVhid), client.Cached);
        }

        a.Crash();
        Assert.True(lan.RunUntil(() => b["carp0"].State == CarpState.Master, TimeSpan.FromSeconds(5)));
        lan.RunFor(TimeSpan.FromMilliseconds(10));
        foreach (var client in clients)
        {
            // b announced vhid 1's MAC to everybody, then put vhid 2's requesters back on vhid 2's MAC: b owns both.
            Assert.Equal(CarpMac.Virtual(client.ExpectedVhid), client.Cached);
            Assert.True(client.GratuitousHeard >= 1);
        }

        // New requests while a is away: b answers every one of them.
        foreach (var client in clients)
        {
            client.Ask();
        }

        lan.RunFor(TimeSpan.FromMilliseconds(10));
        Assert.All(clients, c => Assert.Equal(2, c.Replies));

        a.Restart(configA);
        Assert.True(lan.RunUntil(() => a["carp0"].State == CarpState.Master, TimeSpan.FromSeconds(10)));
        Assert.Equal(CarpState.Backup, b["carp0"].State);
        Assert.Equal(CarpState.Master, b["carp1"].State);
        // a's takeover announcement, and its repetition two adverts later, each followed by b's corrections.
        lan.RunFor(TimeSpan.FromSeconds(4));
        foreach (var client in clients)
        {
            Assert.Equal(CarpMac.Virtual(client.ExpectedVhid), client.Cached);
        }

        // And the split holds for new requests: each answered once, by the host the hash names.
        foreach (var client in clients)
        {
            client.Ask();
        }

        lan.RunFor(TimeSpan.FromMilliseconds(10));
        Assert.All(clients, c => Assert.Equal(3, c.Replies));
    }

    private static VirtualHostConfig Set(string name, byte vhid, byte advSkew) =>
        Vhost(advSkew, vhid: vhid, name: name, addresses: "192.0.2.10/24");

    /// <summary>A Linux-like client: asks by broadcast, takes replies to it, lets gratuitous ARPs override its entry.</summary>
    private sealed class Client
    {
        private readonly SimulatedLink _link;

        public Client(SimulatedLink link, int lastOctet)
        {
            _link = link;
            Ip = IPAddress.Parse($"192.0.2.{lastOctet}");
            Mac = new PhysicalAddress([0x02, 0xcc, 0, 0, 0, (byte)lastOctet]);
            ExpectedVhid = (byte)(lastOctet % 2 == 0 ? 1 : 2);
            link.Listen(Hear);
        }

        public IPAddress Ip { get; }

        public PhysicalAddress Mac { get; }

        public byte ExpectedVhid { get; }

        public PhysicalAddress? Cached { get; private set; }

        public int Replies { get; private set; }

        public int GratuitousHeard { get; private set; }

        public void Ask()
        {
            var frame = new byte[ArpFrame.Length];
            Array.Fill(frame, (byte)0xff, 0, 6);
            Mac.GetAddressBytes().CopyTo(frame, 6);
            byte[] arp = [0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1];
            arp.CopyTo(frame, 12);
            Mac.GetAddressBytes().CopyTo(frame, 22);
            Ip.GetAddressBytes().CopyTo(frame, 28);
            Shared.GetAddressBytes().CopyTo(frame, 38);
            _link.Inject(frame);
        }

        private void Hear(byte[] frame)
        {
            var destination = new PhysicalAddress(frame[..6]);
            if (!ArpFrame.TryRead(frame, out var arp) || !arp.SenderIp.Equals(Shared) ||
                !(destination.Equals(Mac) || destination.Equals(PhysicalAddress.Parse("FF-FF-FF-FF-FF-FF"))))
            {
                return;
            }

            if (arp.IsGratuitous)
            {
                GratuitousHeard++;
                Cached = arp.SenderMac;
            }
            else if (arp.Operation == ArpFrame.Reply && arp.TargetIp.Equals(Ip))
            {
                Replies++;
                Cached = arp.SenderMac;
            }
        }
    }
}
