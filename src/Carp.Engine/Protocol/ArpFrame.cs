using System.Buffers.Binary;
using System.Net;
using System.Net.NetworkInformation;

namespace Carp.Engine.Protocol;

/// <summary>
/// An Ethernet ARP frame for IPv4 (docs/protocol.md#arp-balancing): read from a captured frame, and the
/// two frames ARP balancing sends, a reply to a request and a unicast gratuitous ARP.
/// </summary>
public readonly record struct ArpFrame(ushort Operation, PhysicalAddress SenderMac, IPAddress SenderIp, IPAddress TargetIp)
{
    public const ushort Request = 1;
    public const ushort Reply = 2;
    private const int EthernetHeader = 14;
    private const int ArpLength = 28;

    /// <summary>The frame's length as ARP balancing builds it (no padding: the NIC pads to 60 bytes).</summary>
    public const int Length = EthernetHeader + ArpLength;

    /// <summary>Sender and target IPv4 address are the same: an announcement (gratuitous ARP), not a question.</summary>
    public bool IsGratuitous => SenderIp.Equals(TargetIp);

    /// <summary>
    /// Whether <paramref name="frame"/> is an Ethernet/IPv4 ARP request or reply; false for anything else or anything too
    /// short. Never throws.
    /// </summary>
    public static bool IsArp(ReadOnlySpan<byte> frame) =>
        frame.Length >= Length && frame[12] == 0x08 && frame[13] == 0x06;

    /// <summary>Reads an Ethernet/IPv4 ARP request or reply; false for anything else. Never throws.</summary>
    public static bool TryRead(ReadOnlySpan<byte> frame, out ArpFrame arp)
    {
        arp = default;
        if (!IsArp(frame))
        {
            return false;
        }

        var a = frame[EthernetHeader..];
        if (BinaryPrimitives.ReadUInt16BigEndian(a) != 1 || BinaryPrimitives.ReadUInt16BigEndian(a[2..]) != 0x0800 || a[4] != 6 || a[5] != 4)
        {
            return false;
        }

        var op = BinaryPrimitives.ReadUInt16BigEndian(a[6..]);
        if (op is not (Request or Reply))
        {
            return false;
        }

        arp = new ArpFrame(op, new PhysicalAddress(a.Slice(8, 6).ToArray()), new IPAddress(a.Slice(14, 4)), new IPAddress(a.Slice(24, 4)));
        return true;
    }

    /// <summary>
    /// The answer to a request from <paramref name="requesterMac"/> / <paramref name="requesterIp"/> for <paramref name="address"/>:
    /// an ARP reply from <paramref name="mac"/>, sent to the requester only.
    /// </summary>
    public static byte[] BuildReply(PhysicalAddress mac, IPAddress address, PhysicalAddress requesterMac, IPAddress requesterIp) =>
        Build(Reply, mac, address, requesterMac, requesterMac, requesterIp);

    /// <summary>
    /// A gratuitous ARP (request, sender and target address both <paramref name="address"/>) sent to one neighbour only: it
    /// makes that neighbour map <paramref name="address"/> to <paramref name="mac"/> at once, as the broadcast one does
    /// for everybody (Linux neighbours take a gratuitous ARP even within their lock time).
    /// </summary>
    public static byte[] BuildUnicastGratuitous(PhysicalAddress mac, IPAddress address, PhysicalAddress neighbourMac) =>
        Build(Request, mac, address, neighbourMac, PhysicalAddress.None, address);

    private static byte[] Build(ushort op, PhysicalAddress senderMac, IPAddress senderIp, PhysicalAddress destination, PhysicalAddress targetMac, IPAddress targetIp)
    {
        ArgumentNullException.ThrowIfNull(senderMac);
        ArgumentNullException.ThrowIfNull(senderIp);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(targetIp);
        var frame = new byte[Length];
        var span = frame.AsSpan();
        WriteMac(span, destination);
        WriteMac(span[6..], senderMac);
        span[12] = 0x08;
        span[13] = 0x06;
        var a = span[EthernetHeader..];
        BinaryPrimitives.WriteUInt16BigEndian(a, 1);
        BinaryPrimitives.WriteUInt16BigEndian(a[2..], 0x0800);
        a[4] = 6;
        a[5] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(a[6..], op);
        WriteMac(a[8..], senderMac);
        WriteIPv4(a[14..], senderIp);
        WriteMac(a[18..], targetMac);
        WriteIPv4(a[24..], targetIp);
        return frame;
    }

    private static void WriteMac(Span<byte> into, PhysicalAddress mac)
    {
        var bytes = mac.GetAddressBytes();
        if (bytes.Length == 0)
        {
            into[..6].Clear();
            return;
        }

        if (bytes.Length != 6)
        {
            throw new ArgumentException("An Ethernet address has 6 bytes.", nameof(mac));
        }

        bytes.CopyTo(into);
    }

    private static void WriteIPv4(Span<byte> into, IPAddress address)
    {
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetwork || !address.TryWriteBytes(into, out _))
        {
            throw new ArgumentException("ARP carries IPv4 addresses.", nameof(address));
        }
    }
}
