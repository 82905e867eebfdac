using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Core;
using Carp.Engine.Protocol;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>ARP balancing in the core (docs/protocol.md#arp-balancing): the BSD selection, answers, suppression sets, corrections, refusals.</summary>
public sealed class ArpBalanceTests : IDisposable
{
    private const string Shared = "192.0.2.10/24";
    private static readonly IPAddress SharedIp = IPAddress.Parse("192.0.2.10");
    private static readonly PhysicalAddress ClientMac = PhysicalAddress.Parse("02-CC-00-00-00-01");
    private readonly CoreHarness _h = new(CarpSysctls.Default with { ArpBalance = true });

    public void Dispose() => _h.Dispose();

    [Theory]
    [InlineData("192.0.2.7", 0xC0000207u)]
    [InlineData("10.0.0.1", 0x0A000001u)]
    [InlineData("255.255.255.254", 0xFFFFFFFEu)]
    public void The_sender_key_is_the_address_in_host_order_as_FreeBSD_ntohl_gives_it(string sender, uint key) =>
        Assert.Equal(key, ArpBalance.SenderKey(IPAddress.Parse(sender)));

    [Theory]
    [InlineData("192.0.2.100", new byte[] { 1, 2 }, 1)]
    [InlineData("192.0.2.101", new byte[] { 1, 2 }, 2)]
    [InlineData("192.0.2.101", new byte[] { 2, 1 }, 2)] // vhid order, not the order given
    [InlineData("192.0.2.3", new byte[] { 4, 9, 7 }, 9)] // 0xC0000203 % 3 = 2
    [InlineData("192.0.2.4", new byte[] { 4, 9, 7 }, 4)] // 0xC0000204 % 3 = 0
    [InlineData("192.0.2.5", new byte[] { 4, 9, 7 }, 7)] // 0xC0000205 % 3 = 1
    public void The_selected_vhid_is_the_sender_key_modulo_the_running_vhids_in_vhid_order(string sender, byte[] running, byte expected) =>
        Assert.Equal(expected, ArpBalance.Select(running, IPAddress.Parse(sender)));

    [Fact]
    public void Nothing_is_selected_when_no_vhid_runs() => Assert.Null(ArpBalance.Select([], IPAddress.Parse("192.0.2.100")));

    [Fact]
    public void A_request_is_answered_only_when_the_selected_vhid_is_ours_as_master_with_its_virtual_mac()
    {
        AddSet();
        _h.Node.Force("carp0", CarpState.Master);
        _h.Output.Clear();

        _h.Receive(Request("192.0.2.100")); // selects vhid 1: ours
        _h.Receive(Request("192.0.2.101")); // selects vhid 2: a BACKUP here, the peer answers

        var (host, frame) = Assert.Single(_h.Output.ArpSent);
        Assert.Equal("carp0", host);
        Assert.True(ArpFrame.TryRead(frame, out var reply));
        Assert.Equal(ArpFrame.Reply, reply.Operation);
        Assert.Equal(CarpMac.Virtual(1), reply.SenderMac);
        Assert.Equal(SharedIp, reply.SenderIp);
        Assert.Equal(IPAddress.Parse("192.0.2.100"), reply.TargetIp);
        Assert.Equal(ClientMac, new PhysicalAddress(frame[..6])); // to the requester only
    }

    [Fact]
    public void With_arpbalance_off_no_request_is_answered_and_no_address_is_balanced()
    {
        using var off = new CoreHarness();
        off.Add(Config("carp0", 1, addresses: Shared));
        off.Add(Config("carp1", 2, advSkew: 100, addresses: Shared));
        off.Node.Force("carp0", CarpState.Master);
        off.Receive(Request("192.0.2.100"));
        Assert.Empty(off.Output.ArpSent);
        Assert.Empty(off.Output.ArpBalanced);
        Assert.Empty(off.Node.BalancedAddresses(off.Eth0));
    }

    [Fact]
    public void The_balanced_addresses_are_reported_when_a_set_forms_and_when_it_ends()
    {
        _h.Add(Config("carp0", 1, addresses: [Shared, "192.0.2.20/24"]));
        Assert.Empty(_h.Output.ArpBalanced);
        _h.Add(Config("carp1", 2, advSkew: 100, addresses: Shared));
        var formed = Single();
        Assert.Equal("eth0", formed.CarpDev);
        Assert.Equal([SharedIp], formed.Addresses);

        _h.Output.Clear();
        _h.Node.SetSysctl("arpbalance", 0);
        Assert.Empty(Single().Addresses);

        _h.Output.Clear();
        _h.Node.SetSysctl("arpbalance", 1);
        Assert.Equal([SharedIp], Single().Addresses);

        _h.Output.Clear();
        _h.Node.RemoveVirtualHost("carp1");
        Assert.Empty(Single().Addresses);
        Assert.Empty(_h.Node.BalancingSetOf(_h.Node.Find("carp0")!));

        (string CarpDev, IReadOnlyList<IPAddress> Addresses) Single() => Assert.Single(_h.Output.ArpBalanced);
    }

    [Fact]
    public void The_balancing_set_lists_every_vhid_sharing_an_address_in_vhid_order()
    {
        _h.Add(Config("carp9", 9, addresses: Shared));
        _h.Add(Config("carp2", 2, addresses: Shared));
        _h.Add(Config("carp5", 5, addresses: "192.0.2.50/24"));
        Assert.Equal([2, 9], _h.Node.BalancingSetOf(_h.Node.Find("carp9")!));
        Assert.Empty(_h.Node.BalancingSetOf(_h.Node.Find("carp5")!));
    }

    [Fact]
    public void Another_hosts_announcement_sends_our_requesters_back_to_the_vhid_their_address_selects()
    {
        AddSet();
        _h.Node.Force("carp1", CarpState.Master); // we are vhid 2's master; the peer is vhid 1's
        _h.Receive(Request("192.0.2.100", PhysicalAddress.Parse("02-CC-00-00-00-64")));
        _h.Receive(Request("192.0.2.101", PhysicalAddress.Parse("02-CC-00-00-00-65")));
        _h.Output.Clear();

        _h.Receive(CarpFrameBuilder.GratuitousArp(CarpMac.Virtual(1), SharedIp)); // the peer took every client to vhid 1's MAC

        var (host, frame) = Assert.Single(_h.Output.ArpSent);
        Assert.Equal("carp1", host);
        Assert.True(ArpFrame.TryRead(frame, out var garp));
        Assert.True(garp.IsGratuitous);
        Assert.Equal(CarpMac.Virtual(2), garp.SenderMac);
        Assert.Equal(SharedIp, garp.SenderIp);
        Assert.Equal(PhysicalAddress.Parse("02-CC-00-00-00-65"), new PhysicalAddress(frame[..6])); // only 192.0.2.101, unicast
    }

    [Fact]
    public void The_corrections_are_repeated_once_with_the_next_advert_of_a_master_of_the_set()
    {
        AddSet();
        _h.Node.Force("carp1", CarpState.Master);
        _h.Receive(Request("192.0.2.101", PhysicalAddress.Parse("02-CC-00-00-00-65")));
        _h.Output.Clear();

        _h.Receive(CarpFrameBuilder.GratuitousArp(CarpMac.Virtual(1), SharedIp));
        _h.Receive(CarpFrameBuilder.GratuitousArp(CarpMac.Virtual(1), SharedIp)); // a burst: one round per 100 ms
        Assert.Single(_h.Output.ArpSent);
        _h.RunUntil(1.5); // carp1 (advskew 100) advertises once in between: a neighbour that got the broadcast late is put back
        Assert.Contains(_h.Output.Sent, a => a.Host == "carp1");
        Assert.Equal(2, _h.Output.ArpSent.Count);
        Assert.Equal(_h.Output.ArpSent[0].Frame, _h.Output.ArpSent[1].Frame);
        _h.RunUntil(2.9); // carp1's next advert (2.78 s) repeats nothing; carp0 (no peer here) would take over at 3 s
        Assert.Equal(2, _h.Output.Sent.Count(a => a.Host == "carp1"));
        Assert.Equal(2, _h.Output.ArpSent.Count); // once, not with every advert
    }

    [Fact]
    public void Our_takeover_announcement_is_followed_by_the_corrections_for_the_other_vhids_we_master()
    {
        AddSet();
        _h.Node.Force("carp1", CarpState.Master);
        _h.Receive(Request("192.0.2.100", PhysicalAddress.Parse("02-CC-00-00-00-64")));
        _h.Receive(Request("192.0.2.101", PhysicalAddress.Parse("02-CC-00-00-00-65")));
        _h.Output.Clear();

        _h.Node.Force("carp0", CarpState.Master); // the peer died: we take vhid 1 too and announce its MAC to everybody

        Assert.Equal(["carp0"], _h.Output.Announcements);
        var (host, frame) = Assert.Single(_h.Output.ArpSent);
        Assert.Equal("carp1", host);
        Assert.True(ArpFrame.TryRead(frame, out var garp) && garp.IsGratuitous && garp.SenderMac.Equals(CarpMac.Virtual(2)));
        Assert.Equal(PhysicalAddress.Parse("02-CC-00-00-00-65"), new PhysicalAddress(frame[..6]));
    }

    [Fact]
    public void Requests_for_an_address_of_one_vhid_only_are_left_to_the_kernel()
    {
        _h.Add(Config("carp0", 1, addresses: "192.0.2.20/24"));
        _h.Node.Force("carp0", CarpState.Master);
        _h.Output.Clear();
        _h.Receive(Request("192.0.2.100", target: "192.0.2.20"));
        Assert.Empty(_h.Output.ArpSent);
    }

    [Fact]
    public void A_real_mac_interface_cannot_join_a_set_and_arpbalance_cannot_be_switched_on_over_one()
    {
        _h.Add(Config("carp0", 1, addresses: Shared));
        var real = Config("carp1", 2, advSkew: 100, addresses: Shared) with { MacMode = MacMode.Real };
        var refused = Assert.Throws<CarpException>(() => _h.Add(real));
        Assert.Equal(CarpErrorCode.ArpBalanceNeedsVirtualMac, refused.Code);
        Assert.Null(_h.Node.Find("carp1"));

        using var off = new CoreHarness();
        off.Add(Config("carp0", 1, addresses: Shared));
        off.Add(real);
        var switchOn = Assert.Throws<CarpException>(() => off.Node.SetSysctl("arpbalance", 1));
        Assert.Equal(CarpErrorCode.ArpBalanceNeedsVirtualMac, switchOn.Code);
        Assert.False(off.Node.Sysctls.ArpBalance);
    }

    private void AddSet()
    {
        _h.Add(Config("carp0", 1, addresses: Shared));
        _h.Add(Config("carp1", 2, advSkew: 100, addresses: Shared));
    }

    private static byte[] Request(string sender, PhysicalAddress? mac = null, string target = "192.0.2.10")
    {
        mac ??= ClientMac;
        var frame = new byte[ArpFrame.Length];
        Array.Fill(frame, (byte)0xff, 0, 6);
        mac.GetAddressBytes().CopyTo(frame, 6);
        byte[] arp = [0x08, 0x06, 0, 1, 0x08, 0x00, 6, 4, 0, 1];
        arp.CopyTo(frame, 12);
        mac.GetAddressBytes().CopyTo(frame, 22);
        IPAddress.Parse(sender).GetAddressBytes().CopyTo(frame, 28);
        IPAddress.Parse(target).GetAddressBytes().CopyTo(frame, 38);
        return frame;
    }
}
