using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Carp.Engine.Protocol;
using FsCheck.Xunit;

namespace Carp.Engine.Tests.Protocol;

public class FrameReaderTests
{
    // docs/protocol.md#captured-example: ucarp -i veth-c1 -s 10.99.0.1 -v 7 -p secret -a 10.99.0.100 -b 1 -k 0
    internal static readonly byte[] UcarpFrame = Convert.FromHexString(
        "01005e000012" + "00005e000007" + "0800" +
        "45100038ce2d4000ff70c2a10a630001e0000012" +
        "210700070001a986468e8c47f6d0f2b2" +
        "c712902a2f349128a4c6f685334a55b85642e6e4");

    private static readonly PhysicalAddress Mac = PhysicalAddress.Parse("02-00-00-00-00-01");

    private static byte[] V6Advert(string source = "fe80::1", string destination = "ff02::12") =>
        CarpFrameBuilder.Advertisement(Mac, IPAddress.Parse(source), IPAddress.Parse(destination), 0, UcarpFrame.AsSpan(34, 36),
            PhysicalAddress.Parse("02-00-00-00-00-02"));

    [Fact]
    public void Captured_ucarp_frame_decodes_and_verifies()
    {
        Assert.Equal(CarpFrameStatus.Carp, CarpFrameReader.TryParse(UcarpFrame, out var frame));
        Assert.Equal(AddressFamily.InterNetwork, frame.Family);
        Assert.Equal(255, frame.Ttl);
        Assert.True(frame.IsMulticastDestination);
        Assert.Equal(IPAddress.Parse("10.99.0.1"), frame.SourceAddress(UcarpFrame));
        Assert.Equal(IPAddress.Parse("224.0.0.18"), new IPAddress(UcarpFrame.AsSpan(frame.DestinationOffset, 4)));
        Assert.Equal(34, frame.PayloadOffset);
        Assert.Equal(36, frame.PayloadLength);

        var payload = frame.Payload(UcarpFrame);
        Assert.True(CarpHeaderCodec.IsChecksumValid(payload));
        Assert.True(CarpHeaderCodec.TryRead(payload, out var advert));
        Assert.Equal(new CarpAdvertisement(2, 1, 7, 0, 7, 0, 1, 0xa986, 0x468e8c47f6d0f2b2), advert);

        using var hmac = new CarpHmac(CarpKey.FromPassphrase("secret"), 7, [IPAddress.Parse("10.99.0.100")]);
        Assert.True(hmac.Verify(advert.Counter, CarpHeaderCodec.Hmac(payload)));
        using var wrong = new CarpHmac(CarpKey.FromPassphrase("Secret"), 7, [IPAddress.Parse("10.99.0.100")]);
        Assert.False(wrong.Verify(advert.Counter, CarpHeaderCodec.Hmac(payload)));
    }

    [Fact]
    public void Ethernet_padding_is_not_payload()
    {
        byte[] padded = [.. UcarpFrame, 0, 0, 0, 0];
        Assert.Equal(CarpFrameStatus.Carp, CarpFrameReader.TryParse(padded, out var frame));
        Assert.Equal(36, frame.PayloadLength);
    }

    [Fact]
    public void Payload_length_is_what_is_present()
    {
        Assert.Equal(CarpFrameStatus.Carp, CarpFrameReader.TryParse(UcarpFrame.AsSpan(0, 60), out var frame));
        Assert.Equal(26, frame.PayloadLength);

        var lying = (byte[])UcarpFrame.Clone();
        BinaryPrimitives.WriteUInt16BigEndian(lying.AsSpan(16), 10); // total length shorter than the header
        Assert.Equal(CarpFrameStatus.Carp, CarpFrameReader.TryParse(lying, out frame));
        Assert.Equal(0, frame.PayloadLength);
    }

    [Fact]
    public void A_vlan_tagged_frame_is_not_the_parent_interfaces_carp()
    {
        // libpcap on eth0 shows eth0.7's frames with their tag: those adverts belong to eth0.7's vhids.
        byte[] tagged = [.. UcarpFrame.AsSpan(0, 12), 0x81, 0x00, 0x00, 0x07, .. UcarpFrame.AsSpan(12)];
        Assert.Equal(CarpFrameStatus.NotCarp, CarpFrameReader.TryParse(tagged, out _));
    }

    [Fact]
    public void IPv4_options_are_honoured()
    {
        byte[] withOptions = [.. UcarpFrame.AsSpan(0, 34), 0x01, 0x01, 0x01, 0x00, .. UcarpFrame.AsSpan(34)];
        withOptions[14] = 0x46;
        BinaryPrimitives.WriteUInt16BigEndian(withOptions.AsSpan(16), 60);
        Assert.Equal(CarpFrameStatus.Carp, CarpFrameReader.TryParse(withOptions, out var frame));
        Assert.Equal(38, frame.PayloadOffset);
        Assert.Equal(36, frame.PayloadLength);
        Assert.True(CarpHeaderCodec.IsChecksumValid(frame.Payload(withOptions)));
    }

    [Fact]
    public void Cut_ip_headers_are_truncated()
    {
        Assert.Equal(CarpFrameStatus.Truncated, CarpFrameReader.TryParse(UcarpFrame.AsSpan(0, 14 + 19), out _));
        Assert.Equal(CarpFrameStatus.Truncated, CarpFrameReader.TryParse(UcarpFrame.AsSpan(0, 14 + 10), out _));

        var longHeader = UcarpFrame[..34];
        longHeader[14] = 0x46; // declares 24 bytes, 20 present
        Assert.Equal(CarpFrameStatus.Truncated, CarpFrameReader.TryParse(longHeader, out _));

        var v6 = V6Advert();
        Assert.Equal(CarpFrameStatus.Truncated, CarpFrameReader.TryParse(v6.AsSpan(0, 14 + 39), out _));
    }

    [Fact]
    public void Frames_too_short_to_show_a_protocol_are_not_carp()
    {
        Assert.Equal(CarpFrameStatus.NotCarp, CarpFrameReader.TryParse([], out _));
        Assert.Equal(CarpFrameStatus.NotCarp, CarpFrameReader.TryParse(UcarpFrame.AsSpan(0, 13), out _));
        Assert.Equal(CarpFrameStatus.NotCarp, CarpFrameReader.TryParse(UcarpFrame.AsSpan(0, 14 + 9), out _));
    }

    [Theory]
    [InlineData(23, 0x06)] // TCP
    [InlineData(14, 0x55)] // IP version 5
    [InlineData(14, 0x44)] // IHL below 5
    [InlineData(12, 0x86)] // EtherType 0x8600
    public void Other_packets_are_not_carp(int offset, byte value)
    {
        var frame = (byte[])UcarpFrame.Clone();
        frame[offset] = value;
        Assert.Equal(CarpFrameStatus.NotCarp, CarpFrameReader.TryParse(frame, out var parsed));
        Assert.Equal(default, parsed);
    }

    [Fact]
    public void Arp_is_not_carp()
    {
        var arp = CarpFrameBuilder.GratuitousArp(Mac, IPAddress.Parse("192.0.2.1"));
        Assert.Equal(CarpFrameStatus.NotCarp, CarpFrameReader.TryParse(arp, out _));
    }

    [Fact]
    public void Later_fragments_are_not_carp()
    {
        var frame = (byte[])UcarpFrame.Clone();
        frame[20] = 0x00;
        frame[21] = 0x05;
        Assert.Equal(CarpFrameStatus.NotCarp, CarpFrameReader.TryParse(frame, out _));
    }

    [Theory]
    [InlineData("224.0.0.18", true)]
    [InlineData("239.255.0.1", true)]
    [InlineData("192.0.2.224", false)] // FreeBSD's byte-order slip (docs/protocol.md#unicast-peers) would call this multicast
    [InlineData("10.0.0.239", false)]
    [InlineData("240.0.0.1", false)]
    public void IPv4_multicast_is_decided_on_the_first_octet(string destination, bool multicast)
    {
        var frame = (byte[])UcarpFrame.Clone();
        IPAddress.Parse(destination).TryWriteBytes(frame.AsSpan(30), out _);
        Assert.Equal(CarpFrameStatus.Carp, CarpFrameReader.TryParse(frame, out var parsed));
        Assert.Equal(multicast, parsed.IsMulticastDestination);
    }

    [Theory]
    [InlineData("ff02::12", true)]
    [InlineData("ff0e::1", true)]
    [InlineData("2001:db8::2", false)]
    [InlineData("fe80::2", false)]
    public void IPv6_frames_are_found(string destination, bool multicast)
    {
        var bytes = V6Advert("fe80::1", destination);
        Assert.Equal(CarpFrameStatus.Carp, CarpFrameReader.TryParse(bytes, out var frame));
        Assert.Equal(AddressFamily.InterNetworkV6, frame.Family);
        Assert.Equal(16, frame.AddressLength);
        Assert.Equal(255, frame.Ttl);
        Assert.Equal(multicast, frame.IsMulticastDestination);
        Assert.Equal(IPAddress.Parse("fe80::1"), frame.SourceAddress(bytes));
        Assert.Equal(IPAddress.Parse(destination), new IPAddress(bytes.AsSpan(frame.DestinationOffset, 16)));
        Assert.Equal(54, frame.PayloadOffset);
        Assert.Equal(UcarpFrame.AsSpan(34).ToArray(), frame.Payload(bytes).ToArray());
    }

    [Fact]
    public void IPv6_hop_by_hop_header_is_skipped()
    {
        var plain = V6Advert();
        // Hop-by-hop: next header 112, length 0 (8 bytes), PadN with 4 bytes of padding.
        byte[] hopByHop = [112, 0, 1, 4, 0, 0, 0, 0];
        byte[] frame = [.. plain.AsSpan(0, 54), .. hopByHop, .. plain.AsSpan(54)];
        frame[14 + 6] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14 + 4), 44);
        Assert.Equal(CarpFrameStatus.Carp, CarpFrameReader.TryParse(frame, out var parsed));
        Assert.Equal(62, parsed.PayloadOffset);
        Assert.Equal(36, parsed.PayloadLength);
        Assert.True(CarpHeaderCodec.IsChecksumValid(parsed.Payload(frame)));

        frame[54] = 6; // the hop-by-hop header leads to TCP
        Assert.Equal(CarpFrameStatus.NotCarp, CarpFrameReader.TryParse(frame, out _));
        frame[54] = 112;
        Assert.Equal(CarpFrameStatus.Truncated, CarpFrameReader.TryParse(frame.AsSpan(0, 60), out _));
    }

    [Fact]
    public void IPv6_payload_length_is_what_is_present()
    {
        var frame = V6Advert();
        Assert.Equal(CarpFrameStatus.Carp, CarpFrameReader.TryParse(frame.AsSpan(0, 80), out var parsed));
        Assert.Equal(26, parsed.PayloadLength);
        byte[] padded = [.. frame, 0, 0];
        Assert.Equal(CarpFrameStatus.Carp, CarpFrameReader.TryParse(padded, out parsed));
        Assert.Equal(36, parsed.PayloadLength);
    }

    [Fact]
    public void IPv6_other_next_header_is_not_carp()
    {
        var frame = V6Advert();
        frame[14 + 6] = 17;
        Assert.Equal(CarpFrameStatus.NotCarp, CarpFrameReader.TryParse(frame, out _));
        frame[14 + 6] = 112;
        frame[14] = 0x40;
        Assert.Equal(CarpFrameStatus.NotCarp, CarpFrameReader.TryParse(frame, out _));
    }

    [Fact]
    public void Parsing_allocates_nothing()
    {
        CarpFrameReader.TryParse(UcarpFrame, out _);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 1000; i++)
        {
            CarpFrameReader.TryParse(UcarpFrame, out var frame);
            CarpHeaderCodec.TryRead(frame.Payload(UcarpFrame), out _);
            CarpHeaderCodec.IsChecksumValid(frame.Payload(UcarpFrame));
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static bool ConsistentWith(byte[] bytes, CarpFrameStatus status, CarpFrame frame)
    {
        if (status == CarpFrameStatus.NotCarp)
        {
            return frame == default;
        }

        if (status == CarpFrameStatus.Truncated)
        {
            // Only the family is known, so the right ipackets counter moves; there is nothing to read.
            return frame.Family != default && frame.PayloadLength == 0 && frame.PayloadOffset == 0;
        }

        // Every offset the reader hands out must lie inside the frame.
        _ = frame.Source(bytes);
        _ = frame.Payload(bytes);
        return frame.DestinationOffset + frame.AddressLength <= bytes.Length;
    }

    [Property]
    public bool Never_throws_on_arbitrary_bytes(byte[] bytes)
    {
        var status = CarpFrameReader.TryParse(bytes, out var frame);
        return ConsistentWith(bytes, status, frame);
    }

    [Property(MaxTest = 500)]
    public bool Never_throws_on_damaged_carp_frames(bool v6, int length, int position, byte value, bool tagged)
    {
        var original = v6 ? V6Advert() : UcarpFrame;
        var bytes = tagged ? [.. original.AsSpan(0, 12), 0x81, 0x00, 0x00, 0x07, .. original.AsSpan(12)] : (byte[])original.Clone();
        bytes[(int)((uint)position % bytes.Length)] = value;
        bytes = bytes[..(int)((uint)length % (bytes.Length + 1))];
        var status = CarpFrameReader.TryParse(bytes, out var frame);
        return ConsistentWith(bytes, status, frame);
    }
}
