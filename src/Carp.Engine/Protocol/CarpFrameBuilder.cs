using System.Net;
using System.Net.NetworkInformation;

namespace Carp.Engine.Protocol;

/// <summary>Builds the Ethernet frames CARP sends, with PacketDotNet (spec §1.1, §5).</summary>
public static class CarpFrameBuilder
{
    /// <summary>
    /// An advert: IPv4 (TTL 255, DF, TOS = <paramref name="trafficClass"/>, random ID) or IPv6 (hop limit 255,
    /// traffic class) by the family of <paramref name="source"/>, protocol 112, carrying <paramref name="carpHeader"/> (36 bytes).
    /// The Ethernet destination is the group MAC for multicast destinations, else <paramref name="destinationMac"/>.
    /// </summary>
    public static byte[] Advertisement(PhysicalAddress sourceMac, IPAddress source, IPAddress destination, byte trafficClass,
        ReadOnlySpan<byte> carpHeader, PhysicalAddress? destinationMac = null) => throw new NotImplementedException();

    /// <summary>Gratuitous ARP request: broadcast, sender IP = target IP = <paramref name="address"/>, sender MAC = <paramref name="mac"/>.</summary>
    public static byte[] GratuitousArp(PhysicalAddress mac, IPAddress address) => throw new NotImplementedException();

    /// <summary>Unsolicited neighbour advertisement to ff02::1 for <paramref name="target"/>: Override flag, target link-layer option.</summary>
    public static byte[] UnsolicitedNeighborAdvertisement(PhysicalAddress mac, IPAddress source, IPAddress target, bool router) =>
        throw new NotImplementedException();
}
