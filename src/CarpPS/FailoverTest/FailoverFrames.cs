using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;

namespace CarpPS;

/// <summary>The few frames a drill sends and reads on the carpdev: ARP, ICMP echo and the CARP header's timing.</summary>
internal static class FailoverFrames
{
    public const ushort EtherIPv4 = 0x0800;
    public const ushort EtherArp = 0x0806;
    private const int Ethernet = 14;

    /// <summary>"Who has <paramref name="target"/>? Tell <paramref name="senderIp"/>", broadcast, padded to 60 bytes.</summary>
    public static byte[] ArpRequest(PhysicalAddress senderMac, IPAddress senderIp, IPAddress target)
    {
        var frame = new byte[60];
        frame.AsSpan(0, 6).Fill(0xff);
        senderMac.GetAddressBytes().CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherArp);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(14), 1); // Ethernet
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(16), EtherIPv4);
        frame[18] = 6;
        frame[19] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(20), 1); // request
        senderMac.GetAddressBytes().CopyTo(frame, 22);
        senderIp.GetAddressBytes().CopyTo(frame, 28);
        target.GetAddressBytes().CopyTo(frame, 38);
        return frame;
    }

    /// <summary>An ICMP echo request from <paramref name="sourceIp"/> to <paramref name="target"/> at <paramref name="targetMac"/>.</summary>
    public static byte[] EchoRequest(PhysicalAddress sourceMac, PhysicalAddress targetMac, IPAddress sourceIp, IPAddress target, ushort id, ushort sequence)
    {
        const int icmpLength = 8 + 16;
        var frame = new byte[Ethernet + 20 + icmpLength];
        targetMac.GetAddressBytes().CopyTo(frame, 0);
        sourceMac.GetAddressBytes().CopyTo(frame, 6);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12), EtherIPv4);
        var ip = frame.AsSpan(Ethernet, 20);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], 20 + icmpLength);
        BinaryPrimitives.WriteUInt16BigEndian(ip[4..], sequence);
        ip[8] = 64;
        ip[9] = 1;
        sourceIp.GetAddressBytes().CopyTo(ip[12..]);
        target.GetAddressBytes().CopyTo(ip[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], Checksum(ip));
        var icmp = frame.AsSpan(Ethernet + 20);
        icmp[0] = 8;
        BinaryPrimitives.WriteUInt16BigEndian(icmp[4..], id);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[6..], sequence);
        "carpps drill...."u8.CopyTo(icmp[8..]);
        BinaryPrimitives.WriteUInt16BigEndian(icmp[2..], Checksum(icmp));
        return frame;
    }

    /// <summary>RFC 1071.</summary>
    public static ushort Checksum(ReadOnlySpan<byte> data)
    {
        uint sum = 0;
        for (var i = 0; i + 1 < data.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(data[i..]);
        }

        if ((data.Length & 1) != 0)
        {
            sum += (uint)data[^1] << 8;
        }

        while (sum > 0xffff)
        {
            sum = (sum & 0xffff) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    public static string Mac(ReadOnlySpan<byte> bytes) => string.Join(':', bytes[..6].ToArray().Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

    /// <summary>What one captured frame means to a drill of <paramref name="vhid"/> and <paramref name="vip"/>, or null.</summary>
    public static (string Kind, IPAddress Source, string Mac, byte AdvBase, byte AdvSkew)? Read(ReadOnlySpan<byte> frame, byte vhid, IPAddress? vip, ushort echoId)
    {
        if (frame.Length < Ethernet + 20)
        {
            return null;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        var mac = Mac(frame[6..]);
        if (type == EtherArp && frame.Length >= Ethernet + 28 && vip is not null)
        {
            var op = BinaryPrimitives.ReadUInt16BigEndian(frame[20..]);
            var sender = new IPAddress(frame.Slice(28, 4));
            if (!sender.Equals(vip))
            {
                return null;
            }

            var target = new IPAddress(frame.Slice(38, 4));
            var senderMac = Mac(frame[22..]);
            return target.Equals(vip) ? (FailoverObservation.Garp, sender, senderMac, 0, 0)
                : op == 2 ? (FailoverObservation.ArpReply, sender, senderMac, 0, 0) : null;
        }

        if (type != EtherIPv4 || (frame[Ethernet] >> 4) != 4)
        {
            return null;
        }

        var headerLength = (frame[Ethernet] & 0x0f) * 4;
        var protocol = frame[Ethernet + 9];
        var source = new IPAddress(frame.Slice(Ethernet + 12, 4));
        var payload = frame[(Ethernet + headerLength)..];
        if (protocol == 112 && payload.Length >= 36 && payload[1] == vhid)
        {
            var (skew, advBase) = (payload[2], payload[5]);
            return (skew == 255 && advBase == 255 ? FailoverObservation.BowOut : FailoverObservation.Advert, source, mac, advBase, skew);
        }

        return protocol == 1 && payload.Length >= 8 && payload[0] == 0 && source.Equals(vip) && BinaryPrimitives.ReadUInt16BigEndian(payload[4..]) == echoId
            ? (FailoverObservation.EchoReply, source, mac, 0, 0)
            : null;
    }
}
