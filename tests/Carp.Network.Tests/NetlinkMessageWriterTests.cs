using System.Net.NetworkInformation;
using Carp.Linux;

namespace Carp.Network.Tests;

/// <summary>Byte-level checks of the netlink encoder and decoder (no privileges needed).</summary>
public sealed class NetlinkMessageWriterTests
{
    [Fact]
    public void RTM_NEWADDR_for_an_IPv4_address_has_the_expected_layout()
    {
        Span<byte> buffer = stackalloc byte[128];
        var w = new NetlinkMessageWriter(buffer, 20, 0x0605, 0x01020304);
        w.WriteIfAddrMsg(2, 24, 0, 0, 3);
        w.AddAttribute(2, [192, 0, 2, 1]);
        w.AddAttribute(1, [192, 0, 2, 1]);
        byte[] message = w.Finish().ToArray();

        byte[] expected =
        [
            40, 0, 0, 0,  20, 0,  0x05, 0x06,  4, 3, 2, 1,  0, 0, 0, 0, // nlmsghdr (little-endian host)
            2, 24, 0, 0,  3, 0, 0, 0,                                    // ifaddrmsg
            8, 0, 2, 0,  192, 0, 2, 1,                                   // IFA_LOCAL
            8, 0, 1, 0,  192, 0, 2, 1,                                   // IFA_ADDRESS
        ];
        Assert.Equal(expected, message);
    }

    [Fact]
    public void Strings_are_nul_terminated_and_padded_and_nesting_sets_lengths()
    {
        Span<byte> buffer = stackalloc byte[128];
        var w = new NetlinkMessageWriter(buffer, 16, 1, 1);
        w.WriteIfInfoMsg(0, 0, 0, 0);
        w.AddAttribute(3, "carp7");
        int outer = w.BeginNested(18);
        w.AddAttribute(1, "macvlan");
        int inner = w.BeginNested(2);
        w.AddAttribute(1, 1u);
        w.EndAttribute(inner);
        w.EndAttribute(outer);
        ReadOnlySpan<byte> m = w.Finish();

        Assert.Equal(0, m.Length % 4);
        var reader = new NetlinkMessageReader(m);
        Assert.True(reader.TryRead(out NetlinkMessage msg));
        Assert.Equal(16, msg.Type);
        var attrs = new NetlinkAttributeReader(msg.Payload[16..]);
        Assert.True(attrs.TryRead(out ushort type, out ReadOnlySpan<byte> value));
        Assert.Equal(3, type);
        Assert.Equal(6, value.Length); // "carp7\0"
        Assert.Equal("carp7", NetlinkAttributeReader.ReadString(value));
        Assert.True(attrs.TryRead(out type, out value));
        Assert.Equal(18, type); // NLA_F_NESTED stripped
        var linkInfo = new NetlinkAttributeReader(value);
        Assert.True(linkInfo.TryRead(out type, out ReadOnlySpan<byte> kind));
        Assert.Equal("macvlan", NetlinkAttributeReader.ReadString(kind));
        Assert.True(linkInfo.TryRead(out type, out ReadOnlySpan<byte> data));
        Assert.Equal(2, type);
        var dataReader = new NetlinkAttributeReader(data);
        Assert.True(dataReader.TryRead(out type, out ReadOnlySpan<byte> mode));
        Assert.Equal(1u, NetlinkAttributeReader.ReadUInt32(mode));
        Assert.False(linkInfo.TryRead(out _, out _));
        Assert.False(attrs.TryRead(out _, out _));
        Assert.False(reader.TryRead(out _));
    }

    [Fact]
    public void A_too_small_buffer_throws_instead_of_overflowing()
    {
        byte[] buffer = new byte[24];
        Assert.Throws<InvalidOperationException>(() =>
        {
            var w = new NetlinkMessageWriter(buffer, 16, 1, 1);
            w.WriteIfInfoMsg(0, 0, 0, 0);
            w.AddAttribute(3, "toolong");
        });
    }

    [Fact]
    public void Link_messages_parse_into_LinkInfo()
    {
        Span<byte> buffer = stackalloc byte[128];
        var w = new NetlinkMessageWriter(buffer, 16, 0, 0);
        w.WriteIfInfoMsg(0, 7, (uint)(LinkFlags.Up | LinkFlags.LowerUp), 0);
        w.AddAttribute(3, "carp7");
        w.AddAttribute(1, [0x00, 0x00, 0x5e, 0x00, 0x01, 0x07]);
        w.AddAttribute(4, 1500u);
        w.AddAttribute(5, 2u);
        ReadOnlySpan<byte> m = w.Finish();

        Assert.True(NetlinkRouteSocket.TryParseLink(m[16..], out LinkInfo? link));
        Assert.Equal(new LinkInfo(7, "carp7", PhysicalAddress.Parse("00-00-5E-00-01-07"), LinkFlags.Up | LinkFlags.LowerUp, 1500, null, 2, 0), link);
        Assert.True(link.IsUp);
    }
}
