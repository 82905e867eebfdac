using System.Net;
using Carp.Engine.Protocol;
using Carp.Engine.Tests.Core;

namespace Carp.Engine.Tests.Protocol;

public sealed class VrrpCodecTests
{
    private static readonly byte[] Source = [192, 0, 2, 1];
    private static readonly byte[] Group = [224, 0, 0, 18];

    [Fact]
    public void An_advert_has_version_3_type_1_the_fields_and_the_address_list()
    {
        var buffer = new byte[64];
        byte[] addresses = [192, 0, 2, 254, 192, 0, 2, 253];

        var length = VrrpCodec.Write(buffer, vrid: 7, priority: 200, interval: 4095, addresses, Source, Group, VrrpChecksumMode.PseudoHeader);

        Assert.Equal(16, length);
        Assert.Equal([0x31, 7, 200, 2, 0x0F, 0xFF], buffer[..6]);
        Assert.Equal(addresses, buffer[8..16]);
        Assert.True(VrrpCodec.TryRead(buffer.AsSpan(0, length), out var advert));
        Assert.Equal(new VrrpAdvertisement(3, 1, 7, 200, 2, 4095, advert.Checksum), advert);
    }

    [Fact]
    public void The_reserved_bits_are_not_part_of_the_interval()
    {
        var message = VrrpPackets.Message(interval: 100);
        message[4] |= 0xF0;

        Assert.True(VrrpCodec.TryRead(message, out var advert));
        Assert.Equal(100, advert.Interval);
    }

    /// <summary>
    /// The checksum over a hand-computed IPv4 example: 192.0.2.2 → 224.0.0.18, VRID 1, priority 100, interval 100 cs, one
    /// address 192.0.2.254. Pseudo-header words: c000 0202 e000 0012 0070 000c; message words: 3101 6401 0064 0000 c000 02fe.
    /// </summary>
    [Fact]
    public void The_ipv4_checksum_includes_the_pseudo_header_by_default_and_not_as_v2()
    {
        var withPseudo = VrrpPackets.Message(interval: 100);
        var messageOnly = VrrpPackets.Message(interval: 100, mode: VrrpChecksumMode.MessageOnly);

        Assert.Equal(Expected(0xc000, 0x0202, 0xe000, 0x0012, 0x0070, 0x000c, 0x3101, 0x6401, 0x0064, 0xc000, 0x02fe), Checksum(withPseudo));
        Assert.Equal(Expected(0x3101, 0x6401, 0x0064, 0xc000, 0x02fe), Checksum(messageOnly));
        Assert.NotEqual(Checksum(withPseudo), Checksum(messageOnly));
    }

    [Theory]
    [InlineData(VrrpChecksumMode.PseudoHeader)]
    [InlineData(VrrpChecksumMode.MessageOnly)]
    public void A_received_ipv4_advert_is_taken_with_either_checksum_and_says_which(VrrpChecksumMode mode)
    {
        var message = VrrpPackets.Message(mode: mode);

        Assert.True(VrrpCodec.IsChecksumValid(message, [192, 0, 2, 2], Group, out var matched));
        Assert.Equal(mode, matched);
    }

    [Fact]
    public void A_corrupted_advert_or_the_wrong_source_fails_the_checksum()
    {
        var message = VrrpPackets.Message();
        Assert.False(VrrpCodec.IsChecksumValid(message, [192, 0, 2, 3], Group, out _));
        message[2] ^= 1;
        Assert.False(VrrpCodec.IsChecksumValid(message, [192, 0, 2, 2], Group, out _));
    }

    [Fact]
    public void The_ipv6_checksum_always_includes_the_pseudo_header()
    {
        var message = VrrpPackets.Message(source: "fe80::2", destination: "ff02::12", mode: VrrpChecksumMode.MessageOnly, addresses: "2001:db8::254/64");
        var source = IPAddress.Parse("fe80::2").GetAddressBytes();
        var group = IPAddress.Parse("ff02::12").GetAddressBytes();

        Assert.True(VrrpCodec.IsChecksumValid(message, source, group, out _));
        Assert.Equal(24, message.Length);
        Assert.Equal(0, VrrpCodec.Checksum(message, source, group, VrrpChecksumMode.PseudoHeader));
        Assert.False(VrrpCodec.IsChecksumValid(message, IPAddress.Parse("fe80::3").GetAddressBytes(), group, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(4096)]
    public void An_interval_outside_1_to_4095_is_not_written(int interval)
    {
        Assert.Throws<ArgumentException>(() => VrrpCodec.Write(new byte[16], 1, 100, (ushort)interval, [192, 0, 2, 254], Source, Group, VrrpChecksumMode.PseudoHeader));
    }

    [Fact]
    public void The_virtual_macs_are_per_family()
    {
        Assert.Equal("00005E00010A", VrrpMac.Virtual(10, System.Net.Sockets.AddressFamily.InterNetwork).ToString());
        Assert.Equal("00005E00020A", VrrpMac.Virtual(10, System.Net.Sockets.AddressFamily.InterNetworkV6).ToString());
    }

    [Fact]
    public void A_template_carries_a_vrrp_payload_of_its_length()
    {
        var message = VrrpPackets.Message();
        var template = new AdvertFrameTemplate(VrrpMac.Virtual(1, System.Net.Sockets.AddressFamily.InterNetwork), IPAddress.Parse("192.0.2.2"),
            VrrpConstants.MulticastV4, 0xC0, payloadLength: message.Length);

        var frame = template.Write(message, identification: 7).ToArray();

        Assert.Equal(14 + 20 + 12, frame.Length);
        Assert.Equal(CarpFrameBuilder.Advertisement(VrrpMac.Virtual(1, System.Net.Sockets.AddressFamily.InterNetwork), IPAddress.Parse("192.0.2.2"),
            VrrpConstants.MulticastV4, 0xC0, message, identification: 7), frame);
        Assert.Throws<ArgumentException>(() => template.Write(new byte[36], 1));
    }

    private static ushort Checksum(byte[] message) => (ushort)((message[6] << 8) | message[7]);

    private static ushort Expected(params int[] words)
    {
        var sum = words.Sum();
        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
