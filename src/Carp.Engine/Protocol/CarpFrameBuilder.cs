using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using PacketDotNet;
using ProtocolType = PacketDotNet.ProtocolType;

namespace Carp.Engine.Protocol;

/// <summary>Builds the Ethernet frames CARP sends, with PacketDotNet (docs/protocol.md#packet-encapsulation, docs/protocol.md#announce-on-master).</summary>
public static class CarpFrameBuilder
{
    private const int IPv4DontFragment = 0x2;
    private const byte IcmpV6NeighborAdvertisement = 136;
    private const byte NdpOptionTargetLinkLayerAddress = 2;
    private const int NeighborAdvertisementLength = 4 + 4 + 16 + 8;
    private const byte NaRouterFlag = 0x80;
    private const byte NaOverrideFlag = 0x20;

    private static readonly PhysicalAddress Broadcast = new([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);
    private static readonly PhysicalAddress Zero = new(new byte[6]);
    private static readonly IPAddress AllNodes = IPAddress.Parse("ff02::1");
    private static readonly PhysicalAddress AllNodesMac = new([0x33, 0x33, 0x00, 0x00, 0x00, 0x01]);

    // IPv4 identifications for frames built without one: a block per CSPRNG call (docs/protocol.md#per-frame-randomness).
    [ThreadStatic]
    private static BlockRandom? t_identifications;

    /// <summary>
    /// An advert: IPv4 (TTL 255, DF, TOS = <paramref name="trafficClass"/>, ID = <paramref name="identification"/>, random
    /// when not given) or IPv6 (hop limit 255, traffic class) by the family of <paramref name="source"/>, protocol 112,
    /// carrying <paramref name="carpHeader"/> (36 bytes). The Ethernet destination is the group MAC for multicast
    /// destinations, else <paramref name="destinationMac"/>. Allocates: the engine's send path builds one per virtual host
    /// and family with this and then patches it (<see cref="AdvertFrameTemplate"/>).
    /// </summary>
    /// <exception cref="ArgumentException">The families differ, or the destination is unicast and no <paramref name="destinationMac"/> is given.</exception>
    public static byte[] Advertisement(PhysicalAddress sourceMac, IPAddress source, IPAddress destination, byte trafficClass,
        ReadOnlySpan<byte> carpHeader, PhysicalAddress? destinationMac = null, ushort? identification = null)
    {
        ArgumentNullException.ThrowIfNull(sourceMac);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        if (source.AddressFamily != destination.AddressFamily)
        {
            throw new ArgumentException("Source and destination must be of the same address family.", nameof(destination));
        }

        var ethernetDestination = MulticastMac(destination) ?? destinationMac ??
            throw new ArgumentException($"A unicast advert to {destination} needs the destination MAC.", nameof(destinationMac));

        IPPacket ip;
        EthernetType etherType;
        switch (source.AddressFamily)
        {
            case AddressFamily.InterNetwork:
                ip = new IPv4Packet(source, destination)
                {
                    Protocol = (ProtocolType)CarpConstants.IpProtocol,
                    TimeToLive = CarpConstants.Ttl,
                    TypeOfService = trafficClass,
                    FragmentFlags = IPv4DontFragment,
                    Id = identification ?? (t_identifications ??= new BlockRandom()).NextUInt16(),
                    PayloadData = carpHeader.ToArray(),
                };
                etherType = EthernetType.IPv4;
                break;
            case AddressFamily.InterNetworkV6:
                ip = new IPv6Packet(source, destination)
                {
                    NextHeader = (ProtocolType)CarpConstants.IpProtocol,
                    HopLimit = CarpConstants.Ttl,
                    TrafficClass = trafficClass,
                    PayloadData = carpHeader.ToArray(),
                };
                etherType = EthernetType.IPv6;
                break;
            default:
                throw new ArgumentException("Adverts are sent over IPv4 or IPv6 only.", nameof(source));
        }

        return Assemble(sourceMac, ethernetDestination, etherType, ip, carpHeader.Length);
    }

    /// <summary>Gratuitous ARP request: broadcast, sender IP = target IP = <paramref name="address"/>, sender MAC = <paramref name="mac"/>.</summary>
    public static byte[] GratuitousArp(PhysicalAddress mac, IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(mac);
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("Gratuitous ARP is for IPv4 addresses.", nameof(address));
        }

        var ethernet = new EthernetPacket(mac, Broadcast, EthernetType.Arp)
        {
            PayloadPacket = new ArpPacket(ArpOperation.Request, Zero, address, mac, address),
        };
        return ethernet.Bytes;
    }

    /// <summary>Unsolicited neighbour advertisement to ff02::1 for <paramref name="target"/>: Override flag, target link-layer option.</summary>
    public static byte[] UnsolicitedNeighborAdvertisement(PhysicalAddress mac, IPAddress source, IPAddress target, bool router)
    {
        ArgumentNullException.ThrowIfNull(mac);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(target);
        if (source.AddressFamily != AddressFamily.InterNetworkV6 || target.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException("Neighbour advertisements are for IPv6 addresses.", nameof(target));
        }

        var macBytes = mac.GetAddressBytes();
        if (macBytes.Length != 6)
        {
            throw new ArgumentException("The link-layer address must be a 6-byte Ethernet address.", nameof(mac));
        }

        // PacketDotNet 1.4.8 cannot build an ICMPv6 packet from fields, and its UpdateIcmpChecksum
        // corrupts the frame (it duplicates the first 4 bytes), so the ICMPv6 part is written here.
        var icmp = new byte[NeighborAdvertisementLength];
        icmp[0] = IcmpV6NeighborAdvertisement;
        icmp[4] = (byte)(NaOverrideFlag | (router ? NaRouterFlag : 0));
        target.TryWriteBytes(icmp.AsSpan(8, 16), out _);
        icmp[24] = NdpOptionTargetLinkLayerAddress;
        icmp[25] = 1; // option length in units of 8 bytes
        macBytes.CopyTo(icmp, 26);
        BinaryPrimitives.WriteUInt16BigEndian(icmp.AsSpan(2), IcmpV6Checksum(source, AllNodes, icmp));

        var ip = new IPv6Packet(source, AllNodes)
        {
            NextHeader = ProtocolType.IcmpV6,
            HopLimit = CarpConstants.Ttl,
            PayloadData = icmp,
        };
        return Assemble(mac, AllNodesMac, EthernetType.IPv6, ip, icmp.Length);
    }

    /// <summary>The group MAC of a multicast destination (RFC 1112 §6.4, RFC 2464 §7); null for unicast.</summary>
    internal static PhysicalAddress? MulticastMac(IPAddress destination)
    {
        Span<byte> bytes = stackalloc byte[16];
        if (!destination.TryWriteBytes(bytes, out var length))
        {
            return null;
        }

        if (length == 4 && (bytes[0] & 0xF0) == 0xE0)
        {
            return new PhysicalAddress([0x01, 0x00, 0x5E, (byte)(bytes[1] & 0x7F), bytes[2], bytes[3]]);
        }

        if (length == 16 && bytes[0] == 0xFF)
        {
            return new PhysicalAddress([0x33, 0x33, bytes[12], bytes[13], bytes[14], bytes[15]]);
        }

        return null;
    }

    private static byte[] Assemble(PhysicalAddress sourceMac, PhysicalAddress destinationMac, EthernetType etherType, IPPacket ip, int payloadLength)
    {
        var ethernet = new EthernetPacket(sourceMac, destinationMac, etherType) { PayloadPacket = ip };
        ip.UpdateCalculatedValues();
        if (ip is IPv4Packet v4)
        {
            v4.UpdateIPChecksum();
        }
        else
        {
            // UpdateCalculatedValues leaves the IPv6 payload length at 0 (PLATFORM.md).
            ip.PayloadLength = (ushort)payloadLength;
        }

        return ethernet.Bytes;
    }

    private static ushort IcmpV6Checksum(IPAddress source, IPAddress destination, ReadOnlySpan<byte> icmp)
    {
        Span<byte> pseudoHeader = stackalloc byte[40];
        source.TryWriteBytes(pseudoHeader, out _);
        destination.TryWriteBytes(pseudoHeader[16..], out _);
        BinaryPrimitives.WriteUInt32BigEndian(pseudoHeader[32..], (uint)icmp.Length);
        pseudoHeader[39] = (byte)ProtocolType.IcmpV6;
        var sum = InternetChecksum.Sum(pseudoHeader, 0);
        sum = InternetChecksum.Sum(icmp, sum);
        return (ushort)~InternetChecksum.Fold(sum);
    }
}
