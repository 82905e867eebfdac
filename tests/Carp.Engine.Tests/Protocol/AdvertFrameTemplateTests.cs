using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Protocol;

namespace Carp.Engine.Tests.Protocol;

/// <summary>The prebuilt advert frame, patched per advert, equals what PacketDotNet builds (docs/protocol.md#prebuilt-advert-frames).</summary>
public class AdvertFrameTemplateTests
{
    private static readonly PhysicalAddress Mac = PhysicalAddress.Parse("00-00-5E-00-01-07");
    private static readonly PhysicalAddress PeerMac = PhysicalAddress.Parse("02-00-00-00-00-02");

    [Theory]
    [InlineData("192.0.2.1", "224.0.0.18", 0x10)]
    [InlineData("192.0.2.1", "192.0.2.2", 0xE0)]
    [InlineData("fe80::1", "ff02::12", 0x10)]
    [InlineData("2001:db8::1", "2001:db8::2", 0x00)]
    public void Patched_frames_equal_the_frames_PacketDotNet_builds(string source, string destination, byte trafficClass)
    {
        var src = IPAddress.Parse(source);
        var dst = IPAddress.Parse(destination);
        var template = new AdvertFrameTemplate(Mac, src, dst, trafficClass, PeerMac);
        var random = new Random(7);
        var header = new byte[CarpConstants.HeaderLength];
        for (var i = 0; i < 200; i++)
        {
            random.NextBytes(header);
            var id = (ushort)random.Next(ushort.MaxValue + 1);
            var expected = CarpFrameBuilder.Advertisement(Mac, src, dst, trafficClass, header, PeerMac, identification: id);
            Assert.Equal(Convert.ToHexStringLower(expected), Convert.ToHexStringLower(template.Write(header, id)));
        }
    }

    [Fact]
    public void Multicast_frames_need_no_destination_mac_and_go_to_the_group()
    {
        var v4 = new AdvertFrameTemplate(Mac, IPAddress.Parse("192.0.2.1"), CarpConstants.MulticastV4, 0x10);
        var v6 = new AdvertFrameTemplate(Mac, IPAddress.Parse("fe80::1"), CarpConstants.MulticastV6, 0x10);
        var header = FrameReaderTests.UcarpFrame[34..];
        Assert.Equal("01005e000012", Convert.ToHexStringLower(v4.Write(header, 1)[..6]));
        Assert.Equal("333300000012", Convert.ToHexStringLower(v6.Write(header, 0)[..6]));
        Assert.Equal(70, v4.Length);
        Assert.Equal(90, v6.Length);
        var written = v4.Write(header, 0xbeef).ToArray();
        Assert.Equal(CarpFrameStatus.Carp, CarpFrameReader.TryParse(written, out var frame));
        Assert.Equal(header, frame.Payload(written).ToArray());
        Assert.Equal(0, InternetChecksum.Compute(written.AsSpan(14, 20)));
    }

    [Fact]
    public void Writing_a_frame_allocates_nothing()
    {
        var template = new AdvertFrameTemplate(Mac, IPAddress.Parse("192.0.2.1"), CarpConstants.MulticastV4, 0x10);
        var header = FrameReaderTests.UcarpFrame[34..];
        template.Write(header, 0);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (ushort id = 0; id < 1000; id++)
        {
            template.Write(header, id);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_header_of_the_wrong_length_is_refused()
    {
        var template = new AdvertFrameTemplate(Mac, IPAddress.Parse("192.0.2.1"), CarpConstants.MulticastV4, 0x10);
        Assert.Throws<ArgumentException>(() => template.Write(new byte[35], 0));
    }

    [Fact]
    public void A_unicast_peer_without_its_mac_cannot_be_built() =>
        Assert.Throws<ArgumentException>(() => new AdvertFrameTemplate(Mac, IPAddress.Parse("192.0.2.1"), IPAddress.Parse("192.0.2.2"), 0));

    [Fact]
    public void Identifications_come_a_block_per_csprng_call()
    {
        var random = new BlockRandom();
        for (var i = 0; i < 1000; i++)
        {
            random.NextUInt16();
        }

        // 1000 × 2 bytes from 256-byte blocks: 8 calls instead of 1000.
        Assert.Equal(8, random.Refills);
        var values = Enumerable.Range(0, 32).Select(_ => random.NextUInt64()).ToHashSet();
        Assert.True(values.Count > 30);
    }
}
