using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;

namespace Carp.Network.Tests;

/// <summary>Hand-built Ethernet frames for the capture tests; a 64-bit marker identifies each one.</summary>
public static class TestFrames
{
    public static readonly PhysicalAddress CarpMulticastV4 = PhysicalAddress.Parse("01-00-5E-00-00-12");
    public static readonly PhysicalAddress CarpMulticastV6 = PhysicalAddress.Parse("33-33-00-00-00-12");

    private const int EthernetLength = 14;
    private const int CarpLength = 36;

    /// <summary>An IPv4 protocol-112 (CARP-shaped) frame to 224.0.0.18; the marker sits in the counter field.</summary>
    public static byte[] CarpV4(PhysicalAddress source, ulong marker, PhysicalAddress? destination = null)
    {
        byte[] f = new byte[EthernetLength + 20 + CarpLength];
        WriteEthernet(f, destination ?? CarpMulticastV4, source, 0x0800);
        Span<byte> ip = f.AsSpan(EthernetLength, 20);
        ip[0] = 0x45;
        ip[1] = 0x10;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], 20 + CarpLength);
        BinaryPrimitives.WriteUInt16BigEndian(ip[6..], 0x4000); // DF
        ip[8] = 255;
        ip[9] = 112;
        IPAddress.Parse("192.0.2.1").GetAddressBytes().CopyTo(ip[12..]);
        IPAddress.Parse("224.0.0.18").GetAddressBytes().CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip));
        WriteCarp(f.AsSpan(EthernetLength + 20), marker);
        return f;
    }

    /// <summary>An IPv6 next-header-112 frame to ff02::12.</summary>
    public static byte[] CarpV6(PhysicalAddress source, ulong marker)
    {
        byte[] f = new byte[EthernetLength + 40 + CarpLength];
        WriteEthernet(f, CarpMulticastV6, source, 0x86DD);
        Span<byte> ip = f.AsSpan(EthernetLength, 40);
        ip[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], CarpLength);
        ip[6] = 112;
        ip[7] = 255;
        IPAddress.Parse("fe80::1").GetAddressBytes().CopyTo(ip[8..]);
        IPAddress.Parse("ff02::12").GetAddressBytes().CopyTo(ip[24..]);
        WriteCarp(f.AsSpan(EthernetLength + 40), marker);
        return f;
    }

    /// <summary>An IPv4 UDP frame (not matched by the default filter) carrying the marker.</summary>
    public static byte[] UdpV4(PhysicalAddress source, ulong marker)
    {
        byte[] f = CarpV4(source, marker);
        Span<byte> ip = f.AsSpan(EthernetLength, 20);
        ip[9] = 17;
        ip[10] = 0;
        ip[11] = 0;
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip));
        return f;
    }

    /// <summary>The marker of a frame built here (IPv4 or IPv6, protocol 112 or UDP), or null.</summary>
    public static ulong? MarkerOf(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < EthernetLength)
        {
            return null;
        }

        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        int payload = type switch
        {
            0x0800 when frame.Length >= EthernetLength + 20 + CarpLength && frame[EthernetLength + 9] is 112 or 17 => EthernetLength + 20,
            0x86DD when frame.Length >= EthernetLength + 40 + CarpLength && frame[EthernetLength + 6] == 112 => EthernetLength + 40,
            _ => -1,
        };
        return payload < 0 ? null : BinaryPrimitives.ReadUInt64BigEndian(frame[(payload + 8)..]);
    }

    private static void WriteEthernet(Span<byte> f, PhysicalAddress destination, PhysicalAddress source, ushort type)
    {
        destination.GetAddressBytes().CopyTo(f);
        source.GetAddressBytes().CopyTo(f[6..]);
        BinaryPrimitives.WriteUInt16BigEndian(f[12..], type);
    }

    private static void WriteCarp(Span<byte> carp, ulong marker)
    {
        carp[0] = 0x21; // version 2, advertisement
        carp[1] = 7;    // vhid
        carp[3] = 7;    // authlen
        carp[5] = 1;    // advbase
        BinaryPrimitives.WriteUInt64BigEndian(carp[8..], marker);
        // Checksum left at 0: these frames only have to pass the capture filter.
    }

    private static ushort Checksum(ReadOnlySpan<byte> header)
    {
        uint sum = 0;
        for (int i = 0; i + 1 < header.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }
}
