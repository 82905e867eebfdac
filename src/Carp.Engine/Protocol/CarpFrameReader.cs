using System.Buffers.Binary;
using System.Net.Sockets;

namespace Carp.Engine.Protocol;

/// <summary>
/// Finds the IP header and CARP payload in a captured Ethernet frame without allocating
/// (the receive hot path; PacketDotNet's parser allocates per packet).
/// </summary>
public static class CarpFrameReader
{
    private const int EthernetHeaderLength = 14;
    private const ushort EtherTypeIPv4 = 0x0800;
    private const ushort EtherTypeIPv6 = 0x86DD;
    private const int IPv4MinimumHeaderLength = 20;
    private const int IPv6HeaderLength = 40;
    private const byte HopByHop = 0;

    /// <summary>
    /// Locates the IP header and payload. <see cref="CarpFrameStatus.Truncated"/> only when the IP header is
    /// known to carry protocol 112 but is cut short; a frame too short to show its protocol is
    /// <see cref="CarpFrameStatus.NotCarp"/>. Never throws.
    /// </summary>
    public static CarpFrameStatus TryParse(ReadOnlySpan<byte> frame, out CarpFrame carpFrame)
    {
        carpFrame = default;
        if (frame.Length < EthernetHeaderLength)
        {
            return CarpFrameStatus.NotCarp;
        }

        // A VLAN-tagged frame (libpcap shows the tag on the parent) belongs to the VLAN interface's vhids, not the parent's.
        var offset = EthernetHeaderLength;
        var etherType = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        return etherType switch
        {
            EtherTypeIPv4 => ParseIPv4(frame, offset, out carpFrame),
            EtherTypeIPv6 => ParseIPv6(frame, offset, out carpFrame),
            _ => CarpFrameStatus.NotCarp,
        };
    }

    private static CarpFrameStatus ParseIPv4(ReadOnlySpan<byte> frame, int ipOffset, out CarpFrame carpFrame)
    {
        carpFrame = default;
        var ip = frame[ipOffset..];
        if (ip.Length < 10 || ip[0] >> 4 != 4 || ip[9] != CarpConstants.IpProtocol)
        {
            return CarpFrameStatus.NotCarp;
        }

        var headerLength = (ip[0] & 0x0F) * 4;
        if (headerLength < IPv4MinimumHeaderLength)
        {
            return CarpFrameStatus.NotCarp;
        }

        if (ip.Length < headerLength)
        {
            carpFrame = Truncated(AddressFamily.InterNetwork);
            return CarpFrameStatus.Truncated;
        }

        // A later fragment does not start with a CARP header.
        if ((BinaryPrimitives.ReadUInt16BigEndian(ip[6..]) & 0x1FFF) != 0)
        {
            return CarpFrameStatus.NotCarp;
        }

        var totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip[2..]);
        var payloadLength = Math.Max(0, Math.Min(totalLength, ip.Length) - headerLength);
        carpFrame = new CarpFrame(
            AddressFamily.InterNetwork,
            SourceOffset: ipOffset + 12,
            DestinationOffset: ipOffset + 16,
            Ttl: ip[8],
            IsMulticastDestination: (ip[16] & 0xF0) == 0xE0,
            PayloadOffset: ipOffset + headerLength,
            PayloadLength: payloadLength);
        return CarpFrameStatus.Carp;
    }

    private static CarpFrameStatus ParseIPv6(ReadOnlySpan<byte> frame, int ipOffset, out CarpFrame carpFrame)
    {
        carpFrame = default;
        var ip = frame[ipOffset..];
        if (ip.Length < 7 || ip[0] >> 4 != 6)
        {
            return CarpFrameStatus.NotCarp;
        }

        var nextHeader = ip[6];
        if (nextHeader != CarpConstants.IpProtocol && nextHeader != HopByHop)
        {
            return CarpFrameStatus.NotCarp;
        }

        if (ip.Length < IPv6HeaderLength)
        {
            if (nextHeader != CarpConstants.IpProtocol)
            {
                return CarpFrameStatus.NotCarp;
            }

            carpFrame = Truncated(AddressFamily.InterNetworkV6);
            return CarpFrameStatus.Truncated;
        }

        int declaredPayload = BinaryPrimitives.ReadUInt16BigEndian(ip[4..]);
        var headersLength = IPv6HeaderLength;
        if (nextHeader == HopByHop)
        {
            if (ip.Length < IPv6HeaderLength + 2 || ip[IPv6HeaderLength] != CarpConstants.IpProtocol)
            {
                return CarpFrameStatus.NotCarp;
            }

            headersLength += (ip[IPv6HeaderLength + 1] + 1) * 8;
            if (ip.Length < headersLength)
            {
                carpFrame = Truncated(AddressFamily.InterNetworkV6);
                return CarpFrameStatus.Truncated;
            }

            declaredPayload -= headersLength - IPv6HeaderLength;
        }

        var payloadLength = Math.Clamp(declaredPayload, 0, ip.Length - headersLength);
        carpFrame = new CarpFrame(
            AddressFamily.InterNetworkV6,
            SourceOffset: ipOffset + 8,
            DestinationOffset: ipOffset + 24,
            Ttl: ip[7],
            IsMulticastDestination: ip[24] == 0xFF,
            PayloadOffset: ipOffset + headersLength,
            PayloadLength: payloadLength);
        return CarpFrameStatus.Carp;
    }

    /// <summary>A cut-short header still tells its family, so the right ipackets counter moves.</summary>
    private static CarpFrame Truncated(AddressFamily family) => new(family, 0, 0, 0, false, 0, 0);
}
