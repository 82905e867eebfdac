using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Engine.Tests.Core;

/// <summary>VRRPv3 adverts as a peer (keepalived, a router) would send them to <see cref="CoreHarness"/>'s eth0.</summary>
internal static class VrrpPackets
{
    public static VirtualHostConfig Config(byte priority = 100, ushort interval = 10, bool preempt = true, byte vhid = 1, string name = "carp1",
        params string[] addresses) => new()
        {
            Name = name,
            Vhid = vhid,
            CarpDev = "eth0",
            Protocol = VirtualHostProtocol.Vrrp,
            Priority = priority,
            Interval = interval,
            Preempt = preempt,
            Addresses = (addresses.Length == 0 ? [CoreHarness.Vip] : addresses).Select(CarpAddress.Parse).ToArray(),
        };

    /// <summary>The VRRP message alone, with the checksum of <paramref name="mode"/> for <paramref name="source"/> → <paramref name="destination"/>.</summary>
    public static byte[] Message(byte priority = 100, ushort interval = 10, byte vrid = 1, string source = "192.0.2.2", string destination = "224.0.0.18",
        VrrpChecksumMode mode = VrrpChecksumMode.PseudoHeader, params string[] addresses)
    {
        var list = (addresses.Length == 0 ? [CoreHarness.Vip] : addresses).Select(a => CarpAddress.Parse(a).Address.GetAddressBytes()).SelectMany(b => b).ToArray();
        var buffer = new byte[VrrpConstants.FixedLength + list.Length];
        VrrpCodec.Write(buffer, vrid, priority, interval, list, IPAddress.Parse(source).GetAddressBytes(), IPAddress.Parse(destination).GetAddressBytes(), mode);
        return buffer;
    }

    public static byte[] V4(byte priority = 100, ushort interval = 10, byte vrid = 1, string source = "192.0.2.2",
        VrrpChecksumMode mode = VrrpChecksumMode.PseudoHeader, params string[] addresses) =>
        Frame(Message(priority, interval, vrid, source, "224.0.0.18", mode, addresses), source, "224.0.0.18");

    public static byte[] V6(byte priority = 100, ushort interval = 10, byte vrid = 1, string source = "fe80::2", params string[] addresses) =>
        Frame(Message(priority, interval, vrid, source, "ff02::12", VrrpChecksumMode.PseudoHeader, addresses.Length == 0 ? [CoreHarness.Vip6] : addresses),
            source, "ff02::12");

    public static byte[] Frame(byte[] message, string source, string destination) =>
        CarpFrameBuilder.Advertisement(VrrpMac.Virtual(1, IPAddress.Parse(source).AddressFamily), IPAddress.Parse(source), IPAddress.Parse(destination), 0xC0, message, Packets.OwnMac);

    /// <summary>The VRRP fields of an advert the core sent.</summary>
    public static VrrpAdvertisement Read(RecordingOutput.SentAdvert sent)
    {
        Assert.True(VrrpCodec.TryRead(sent.Header, out var advert));
        return advert;
    }
}
