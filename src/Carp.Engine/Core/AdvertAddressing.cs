using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// Where one virtual host's adverts of one address family go and with which link-layer addresses, decided once for
/// every wire (the engine's and the simulator's): to the configured unicast peer of that family, else to the CARP
/// group 224.0.0.18 / ff02::12 (docs/protocol.md#packet-encapsulation, docs/protocol.md#unicast-peers); from the
/// virtual MAC, or from the carpdev's own MAC in <see cref="MacMode.Real"/> and to a unicast peer, as FreeBSD does
/// (docs/protocol.md#advert-source-mac); to the group's MAC, or to the caller's next hop for a unicast peer.
/// </summary>
public readonly record struct AdvertAddressing(PhysicalAddress SourceMac, IPAddress Destination, PhysicalAddress? DestinationMac)
{
    /// <param name="carpDevMac">The carpdev's own MAC.</param>
    /// <param name="unicastNextHopMac">The Ethernet destination of a unicast peer when the wire knows it; null leaves it unknown.</param>
    public static AdvertAddressing For(VirtualHostConfig config, AddressFamily family, PhysicalAddress carpDevMac, PhysicalAddress? unicastNextHopMac = null)
    {
        var destination = family == AddressFamily.InterNetwork
            ? config.Peer ?? CarpConstants.MulticastV4
            : config.Peer6 ?? CarpConstants.MulticastV6;
        var groupMac = CarpFrameBuilder.MulticastMac(destination);
        return groupMac is not null
            ? new AdvertAddressing(SourceMacOf(config, carpDevMac), destination, groupMac)
            : new AdvertAddressing(carpDevMac, destination, unicastNextHopMac);
    }

    /// <summary>The MAC a virtual host sends adverts and announcements from (docs/protocol.md#virtual-mac).</summary>
    public static PhysicalAddress SourceMacOf(VirtualHostConfig config, PhysicalAddress carpDevMac) =>
        config.MacMode == MacMode.Virtual ? VirtualMacOf(config) : carpDevMac;

    /// <summary>
    /// The virtual MAC of a virtual host: CARP's 00:00:5e:00:01:vhid, or VRRP's 00:00:5e:00:01:VRID for an IPv4 and
    /// 00:00:5e:00:02:VRID for an IPv6 virtual router (docs/protocol.md#vrrp-virtual-mac).
    /// </summary>
    public static PhysicalAddress VirtualMacOf(VirtualHostConfig config) =>
        config.IsVrrp
            ? VrrpMac.Virtual(config.Vhid, config.HasIPv6 ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork)
            : CarpMac.Virtual(config.Vhid);

    /// <summary>
    /// The announcement of one of a MASTER's addresses, from <paramref name="sourceMac"/> (<see cref="SourceMacOf"/>): a
    /// gratuitous ARP, or an unsolicited neighbour advertisement for an IPv6 address (docs/protocol.md#announce-on-master).
    /// </summary>
    public static byte[] Announcement(PhysicalAddress sourceMac, CarpAddress address) =>
        address.IsIPv6
            ? CarpFrameBuilder.UnsolicitedNeighborAdvertisement(sourceMac, address.Address, address.Address, router: false)
            : CarpFrameBuilder.GratuitousArp(sourceMac, address.Address);

    /// <summary>The advert frame from <paramref name="source"/> (the carpdev's address of the family).</summary>
    /// <exception cref="ArgumentException">A unicast peer whose Ethernet destination is unknown, or a source of the wrong family.</exception>
    public byte[] Frame(IPAddress source, byte trafficClass, ReadOnlySpan<byte> carpHeader) =>
        CarpFrameBuilder.Advertisement(SourceMac, source, Destination, trafficClass, carpHeader, DestinationMac);
}
