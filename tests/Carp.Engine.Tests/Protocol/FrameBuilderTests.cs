using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Carp.Engine.Protocol;
using FsCheck.Xunit;
using PacketDotNet;

namespace Carp.Engine.Tests.Protocol;

public class FrameBuilderTests
{
    private static readonly PhysicalAddress Mac = PhysicalAddress.Parse("00-00-5E-00-01-07");
    private static readonly PhysicalAddress PeerMac = PhysicalAddress.Parse("02-00-00-00-00-02");
    private static readonly byte[] Header = FrameReaderTests.UcarpFrame[34..];

    private static string Hex(ReadOnlySpan<byte> bytes) => Convert.ToHexStringLower(bytes);

    // Pseudo-header sum for ICMPv6, written out independently of the code under test.
    private static ushort IcmpV6Sum(ReadOnlySpan<byte> source, ReadOnlySpan<byte> destination, ReadOnlySpan<byte> icmp)
    {
        byte[] all = [.. source, .. destination, 0, 0, (byte)(icmp.Length >> 8), (byte)icmp.Length, 0, 0, 0, 58, .. icmp];
        return ChecksumTests.Reference(all);
    }

    [Fact]
    public void Virtual_and_ucarp_macs()
    {
        Assert.Equal("00005E000107", CarpMac.Virtual(7).ToString());
        Assert.Equal("00005E0001FF", CarpMac.Virtual(255).ToString());
        Assert.Equal("00005E000007", CarpMac.Ucarp(7).ToString());
    }

    [Fact]
    public void IPv4_advert_reproduces_the_ucarp_capture_except_the_ip_id()
    {
        var frame = CarpFrameBuilder.Advertisement(CarpMac.Ucarp(7), IPAddress.Parse("10.99.0.1"), CarpConstants.MulticastV4, 0x10, Header);
        Assert.Equal(70, frame.Length);
        var expected = (byte[])FrameReaderTests.UcarpFrame.Clone();
        // Carry over the random ID and fix the header checksum of the capture for it.
        expected[18] = frame[18];
        expected[19] = frame[19];
        expected[24] = expected[25] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(expected.AsSpan(24), ChecksumTests.Reference(expected.AsSpan(14, 20)));
        Assert.Equal(Hex(expected), Hex(frame));
    }

    [Theory]
    [InlineData(0x10)]
    [InlineData(0xE0)]
    [InlineData(0x00)]
    public void IPv4_advert_header_fields(byte tos)
    {
        var frame = CarpFrameBuilder.Advertisement(Mac, IPAddress.Parse("192.0.2.1"), CarpConstants.MulticastV4, tos, Header);
        var ip = frame.AsSpan(14, 20);
        Assert.Equal("01005e000012", Hex(frame.AsSpan(0, 6)));
        Assert.Equal("00005e000107", Hex(frame.AsSpan(6, 6)));
        Assert.Equal("0800", Hex(frame.AsSpan(12, 2)));
        Assert.Equal(0x45, ip[0]);
        Assert.Equal(tos, ip[1]);
        Assert.Equal(56, BinaryPrimitives.ReadUInt16BigEndian(ip[2..]));
        Assert.Equal(0x4000, BinaryPrimitives.ReadUInt16BigEndian(ip[6..])); // DF, offset 0
        Assert.Equal(255, ip[8]);
        Assert.Equal(112, ip[9]);
        Assert.Equal(0xFFFF, ChecksumTests.Reference(ip) ^ 0xFFFF); // sums to all-ones
        Assert.Equal("c0000201e0000012", Hex(ip[12..20]));
        Assert.Equal(Hex(Header), Hex(frame.AsSpan(34)));
    }

    [Fact]
    public void IPv4_ids_are_random()
    {
        var ids = Enumerable.Range(0, 16)
            .Select(_ => CarpFrameBuilder.Advertisement(Mac, IPAddress.Parse("192.0.2.1"), CarpConstants.MulticastV4, 0, Header))
            .Select(f => BinaryPrimitives.ReadUInt16BigEndian(f.AsSpan(18)))
            .Distinct();
        Assert.True(ids.Count() > 1);
    }

    [Theory]
    [InlineData(0x00)]
    [InlineData(0xE0)]
    [InlineData(0x5B)]
    public void IPv6_advert_header_fields(byte trafficClass)
    {
        var frame = CarpFrameBuilder.Advertisement(Mac, IPAddress.Parse("fe80::1"), CarpConstants.MulticastV6, trafficClass, Header);
        Assert.Equal(14 + 40 + 36, frame.Length);
        Assert.Equal("333300000012", Hex(frame.AsSpan(0, 6)));
        Assert.Equal("00005e000107", Hex(frame.AsSpan(6, 6)));
        Assert.Equal("86dd", Hex(frame.AsSpan(12, 2)));
        var ip = frame.AsSpan(14, 40);
        var first = BinaryPrimitives.ReadUInt32BigEndian(ip);
        Assert.Equal(6u, first >> 28);
        Assert.Equal(trafficClass, (byte)(first >> 20));
        Assert.Equal(0u, first & 0xFFFFF); // flow label
        Assert.Equal(36, BinaryPrimitives.ReadUInt16BigEndian(ip[4..]));
        Assert.Equal(112, ip[6]);
        Assert.Equal(255, ip[7]);
        Assert.Equal("fe800000000000000000000000000001", Hex(ip[8..24]));
        Assert.Equal("ff020000000000000000000000000012", Hex(ip[24..40]));
        Assert.Equal(Hex(Header), Hex(frame.AsSpan(54)));
    }

    [Theory]
    [InlineData("239.129.2.3", "01005e010203")]
    [InlineData("224.0.0.18", "01005e000012")]
    [InlineData("ff02::1:ff00:1", "3333ff000001")]
    [InlineData("ff05::1:3", "333300010003")]
    public void Multicast_destinations_map_to_group_macs(string destination, string mac)
    {
        var dst = IPAddress.Parse(destination);
        var src = IPAddress.Parse(dst.AddressFamily == AddressFamily.InterNetwork ? "192.0.2.1" : "fe80::1");
        var frame = CarpFrameBuilder.Advertisement(Mac, src, dst, 0, Header, PeerMac);
        Assert.Equal(mac, Hex(frame.AsSpan(0, 6)));
    }

    [Theory]
    [InlineData("192.0.2.1", "198.51.100.7")]
    [InlineData("2001:db8::1", "2001:db8::2")]
    public void Unicast_adverts_need_and_use_the_peer_mac(string source, string destination)
    {
        var frame = CarpFrameBuilder.Advertisement(Mac, IPAddress.Parse(source), IPAddress.Parse(destination), 0, Header, PeerMac);
        Assert.Equal("020000000002", Hex(frame.AsSpan(0, 6)));
        Assert.Throws<ArgumentException>(() =>
            CarpFrameBuilder.Advertisement(Mac, IPAddress.Parse(source), IPAddress.Parse(destination), 0, Header));
    }

    [Fact]
    public void Mixed_families_are_rejected()
    {
        Assert.Throws<ArgumentException>(() =>
            CarpFrameBuilder.Advertisement(Mac, IPAddress.Parse("192.0.2.1"), CarpConstants.MulticastV6, 0, Header));
    }

    [Fact]
    public void Gratuitous_arp_fields()
    {
        var frame = CarpFrameBuilder.GratuitousArp(Mac, IPAddress.Parse("192.0.2.100"));
        Assert.Equal(
            "ffffffffffff" + "00005e000107" + "0806" +
            "0001" + "0800" + "06" + "04" + "0001" +
            "00005e000107" + "c0000264" +
            "000000000000" + "c0000264",
            Hex(frame));
    }

    [Theory]
    [InlineData(false, 0x20)]
    [InlineData(true, 0xA0)]
    public void Unsolicited_neighbor_advertisement_fields(bool router, byte flags)
    {
        var frame = CarpFrameBuilder.UnsolicitedNeighborAdvertisement(Mac, IPAddress.Parse("fe80::1"), IPAddress.Parse("2001:db8::100"), router);
        Assert.Equal(14 + 40 + 32, frame.Length);
        Assert.Equal("333300000001" + "00005e000107" + "86dd", Hex(frame.AsSpan(0, 14)));
        var ip = frame.AsSpan(14, 40);
        Assert.Equal(0x60000000u, BinaryPrimitives.ReadUInt32BigEndian(ip));
        Assert.Equal(32, BinaryPrimitives.ReadUInt16BigEndian(ip[4..]));
        Assert.Equal(58, ip[6]);
        Assert.Equal(255, ip[7]);
        Assert.Equal("fe800000000000000000000000000001", Hex(ip[8..24]));
        Assert.Equal("ff020000000000000000000000000001", Hex(ip[24..40]));

        var icmp = frame.AsSpan(54);
        Assert.Equal(136, icmp[0]);
        Assert.Equal(0, icmp[1]);
        Assert.Equal(flags, icmp[4]);
        Assert.Equal("000000", Hex(icmp[5..8]));
        Assert.Equal("20010db8000000000000000000000100", Hex(icmp[8..24]));
        Assert.Equal("0201" + "00005e000107", Hex(icmp[24..32]));
        Assert.Equal(0, IcmpV6Sum(ip[8..24], ip[24..40], icmp));

        var parsed = Packet.ParsePacket(LinkLayers.Ethernet, frame);
        var na = parsed.Extract<NdpNeighborAdvertisementPacket>();
        Assert.NotNull(na);
        Assert.Equal(IPAddress.Parse("2001:db8::100"), na.TargetAddress);
        Assert.True(na.Override);
        Assert.Equal(router, na.Router);
        Assert.False(na.Solicited);
    }

    [Fact]
    public void Wrong_families_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => CarpFrameBuilder.GratuitousArp(Mac, IPAddress.Parse("2001:db8::1")));
        Assert.Throws<ArgumentException>(() =>
            CarpFrameBuilder.UnsolicitedNeighborAdvertisement(Mac, IPAddress.Parse("fe80::1"), IPAddress.Parse("192.0.2.1"), false));
    }

    [Property(MaxTest = 200)]
    public bool Built_adverts_parse_back(bool v6, bool multicast, byte trafficClass, ulong high, ulong low, byte vhid, ulong counter)
    {
        var header = new byte[36];
        CarpHeaderCodec.Write(header, vhid, 0, 0, 1, counter, new byte[20]);
        IPAddress source, destination;
        if (v6)
        {
            var bytes = new byte[16];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, high);
            BinaryPrimitives.WriteUInt64BigEndian(bytes.AsSpan(8), low);
            bytes[0] = 0x20; // keep it unicast
            source = new IPAddress(bytes);
            destination = multicast ? CarpConstants.MulticastV6 : IPAddress.Parse("2001:db8::2");
        }
        else
        {
            source = new IPAddress(BitConverter.GetBytes((uint)low));
            destination = multicast ? CarpConstants.MulticastV4 : IPAddress.Parse("198.51.100.2");
        }

        var frame = CarpFrameBuilder.Advertisement(Mac, source, destination, trafficClass, header, PeerMac);
        return CarpFrameReader.TryParse(frame, out var parsed) == CarpFrameStatus.Carp &&
               parsed.Family == (v6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork) &&
               parsed.Ttl == 255 &&
               parsed.IsMulticastDestination == multicast &&
               parsed.SourceAddress(frame).Equals(source) &&
               parsed.Payload(frame).SequenceEqual(header);
    }
}
