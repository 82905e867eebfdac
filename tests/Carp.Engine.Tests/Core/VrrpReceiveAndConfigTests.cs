using Carp.Engine.Core;
using Carp.Engine.Protocol;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>docs/protocol.md#vrrp-receive-checks and the VRRP settings' validation: each bad packet is dropped and counted once.</summary>
public sealed class VrrpReceiveAndConfigTests : IDisposable
{
    private readonly CoreHarness _h = new(CarpSysctls.Default with { Log = 2 });

    public void Dispose() => _h.Dispose();

    private VirtualHost Backup()
    {
        var host = _h.Add(VrrpPackets.Config(priority: 100, interval: 10));
        _h.Output.Clear();
        return host;
    }

    private void AssertDropped(VirtualHost host, CarpStatistic counter)
    {
        StatsAssert.Only(_h.Stats, (CarpStatistic.IPackets, 1), (counter, 1));
        Assert.Equal(counter, Assert.Single(_h.Output.BadPackets).Counter);
        Assert.Null(host.MasterSeen);
        Assert.Equal(VrrpTiming.MasterDown(100, 10) * 10, host.NextDeadline);
    }

    [Fact]
    public void A_good_advert_is_counted_and_taken()
    {
        var host = Backup();
        _h.Receive(VrrpPackets.V4(priority: 200));

        StatsAssert.Only(_h.Stats, (CarpStatistic.IPackets, 1));
        Assert.Equal((byte)200, host.MasterSeenPriority);
    }

    [Fact]
    public void An_advert_with_the_v2_style_checksum_is_taken_too()
    {
        var host = Backup();
        _h.Receive(VrrpPackets.V4(priority: 200, mode: VrrpChecksumMode.MessageOnly));

        StatsAssert.Only(_h.Stats, (CarpStatistic.IPackets, 1));
        Assert.Equal((byte)200, host.MasterSeenPriority);
    }

    [Fact]
    public void A_corrupted_advert_counts_badsum()
    {
        var host = Backup();
        var frame = VrrpPackets.V4(priority: 200);
        frame[Packets.V4Payload + 2] ^= 0x40;
        _h.Receive(frame);
        AssertDropped(host, CarpStatistic.BadSum);
    }

    [Fact]
    public void A_ttl_other_than_255_counts_badttl()
    {
        var host = Backup();
        var frame = VrrpPackets.V4(priority: 200);
        frame[Packets.V4Ttl] = 64;
        Packets.FixIPv4Checksum(frame);
        _h.Receive(frame);
        AssertDropped(host, CarpStatistic.BadTtl);
    }

    [Fact]
    public void Other_virtual_addresses_count_badaddrs()
    {
        var host = Backup();
        _h.Receive(VrrpPackets.V4(priority: 200, addresses: "192.0.2.99/24"));
        AssertDropped(host, CarpStatistic.BadAddrs);
    }

    [Fact]
    public void Our_addresses_in_another_order_are_taken()
    {
        var host = _h.Add(VrrpPackets.Config(addresses: ["192.0.2.254/24", "192.0.2.253/24"]));
        _h.Receive(VrrpPackets.V4(priority: 200, addresses: ["192.0.2.253/24", "192.0.2.254/24"]));
        Assert.Equal((byte)200, host.MasterSeenPriority);
    }

    [Fact]
    public void A_count_larger_than_the_payload_counts_badlen()
    {
        var host = Backup();
        var message = VrrpPackets.Message(priority: 200);
        message[3] = 2;
        message[6] = message[7] = 0;
        var sum = VrrpCodec.Checksum(message, [192, 0, 2, 2], [224, 0, 0, 18], VrrpChecksumMode.PseudoHeader);
        message[6] = (byte)(sum >> 8);
        message[7] = (byte)sum;
        _h.Receive(VrrpPackets.Frame(message, "192.0.2.2", "224.0.0.18"));
        AssertDropped(host, CarpStatistic.BadLen);
    }

    [Fact]
    public void A_vrrp_advert_for_a_carp_vhid_is_checked_as_carp_and_a_carp_advert_for_a_vrrp_vhid_counts_badver()
    {
        _h.Add(Config(name: "carp2", vhid: 2, addresses: "192.0.2.200/24"));
        var vrrp = Backup();
        _h.Output.Clear();

        _h.Receive(VrrpPackets.V4(priority: 200, vrid: 2, addresses: "192.0.2.200/24"));
        _h.Receive(Packets.V4(Packets.Header(vhid: 1)));

        // The 12-byte VRRP message fails CARP's length check; the CARP header is refused by the VRRP vhid.
        StatsAssert.Only(_h.Stats, (CarpStatistic.IPackets, 2), (CarpStatistic.BadLen, 1), (CarpStatistic.BadVer, 1));
        Assert.Null(vrrp.MasterSeen);
    }

    [Fact]
    public void Our_own_advert_looped_back_counts_badauth()
    {
        var host = Backup();
        _h.Receive(VrrpPackets.V4(priority: 200, source: "192.0.2.1"));
        AssertDropped(host, CarpStatistic.BadAuth);
    }

    [Fact]
    public void An_ipv6_advert_is_taken_by_an_ipv6_virtual_router()
    {
        var host = _h.Add(VrrpPackets.Config(addresses: [Vip6]));
        _h.Receive(VrrpPackets.V6(priority: 200));

        StatsAssert.Only(_h.Stats, (CarpStatistic.IPackets6, 1));
        Assert.Equal((byte)200, host.MasterSeenPriority);
    }

    // ---- Configuration ----------------------------------------------------------------------------

    [Theory]
    [InlineData(0, 100, CarpErrorCode.InvalidPriority)]
    [InlineData(255, 100, CarpErrorCode.InvalidPriority)]
    [InlineData(100, 0, CarpErrorCode.InvalidInterval)]
    [InlineData(100, 4096, CarpErrorCode.InvalidInterval)]
    public void Priorities_and_intervals_out_of_range_are_refused(int priority, int interval, CarpErrorCode code)
    {
        var error = Assert.Throws<CarpException>(() => _h.Add(VrrpPackets.Config((byte)priority, (ushort)interval)));
        Assert.Equal(code, error.Code);
        Assert.Empty(_h.Node.VirtualHosts);
    }

    [Fact]
    public void A_pass_on_a_vrrp_vhid_is_refused_without_echoing_it()
    {
        var error = Assert.Throws<CarpException>(() => _h.Add(VrrpPackets.Config() with { Key = CarpKey.FromPassphrase("s3cret-pass") }));
        Assert.Equal(CarpErrorCode.InvalidPass, error.Code);
        Assert.Contains("no authentication", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Both_address_families_on_one_vrrp_vhid_are_refused()
    {
        var error = Assert.Throws<CarpException>(() => _h.Add(VrrpPackets.Config(addresses: [Vip, Vip6])));
        Assert.Equal(CarpErrorCode.InvalidAddress, error.Code);
    }

    [Fact]
    public void The_protocol_of_a_vhid_cannot_change_and_nothing_changes()
    {
        var carp = _h.Add(Config());
        var vrrp = _h.Add(VrrpPackets.Config(vhid: 2, name: "vrrp2", addresses: "192.0.2.200/24"));

        var toVrrp = Assert.Throws<CarpException>(() => _h.Node.UpdateVirtualHost("carp1", VrrpPackets.Config()));
        var toCarp = Assert.Throws<CarpException>(() => _h.Node.UpdateVirtualHost("vrrp2", Config(name: "vrrp2", vhid: 2)));

        Assert.Equal((CarpErrorCode.ProtocolFixed, CarpErrorCode.ProtocolFixed), (toVrrp.Code, toCarp.Code));
        Assert.Contains("remove it and add it again", toVrrp.Message, StringComparison.Ordinal);
        Assert.Same(carp, _h.Node.Find("carp1"));
        Assert.Same(vrrp, _h.Node.Find("vrrp2"));
        Assert.False(carp.IsVrrp);
        Assert.True(vrrp.IsVrrp);
    }
}
