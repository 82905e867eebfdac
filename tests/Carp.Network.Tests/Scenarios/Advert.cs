using System.Net;
using System.Net.NetworkInformation;

namespace Carp.Network.Tests.Scenarios;

/// <summary>One CARP advertisement as captured on the wire, decoded by the test itself.</summary>
internal sealed record Advert(PhysicalAddress SourceMac, IPAddress Source, byte Version, byte Type, byte Vhid, byte AdvSkew, byte AuthLen,
    byte Demote, byte AdvBase, ulong Counter, byte[] Hmac)
{
    public bool IsBowOut => AdvBase == 255 && AdvSkew == 255;

    public override string ToString() =>
        $"advert vhid {Vhid} from {Source} ({SourceMac}) advbase {AdvBase} advskew {AdvSkew} demote {Demote} counter {Counter:x16}";

    /// <summary>Decodes an Ethernet frame carrying IPv4 or IPv6 protocol 112; null for anything else.</summary>
    public static Advert? Parse(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 14)
        {
            return null;
        }

        var mac = new PhysicalAddress(frame[6..12].ToArray());
        int etherType = (frame[12] << 8) | frame[13];
        ReadOnlySpan<byte> ip = frame[14..];
        ReadOnlySpan<byte> carp;
        IPAddress source;
        if (etherType == 0x0800 && ip.Length >= 20 && ip[9] == 112)
        {
            int ihl = (ip[0] & 0x0F) * 4;
            source = new IPAddress(ip[12..16]);
            carp = ip[ihl..];
        }
        else if (etherType == 0x86DD && ip.Length >= 40 && ip[6] == 112)
        {
            source = new IPAddress(ip[8..24]);
            carp = ip[40..];
        }
        else
        {
            return null;
        }

        if (carp.Length < 36)
        {
            return null;
        }

        ulong counter = 0;
        for (int i = 8; i < 16; i++)
        {
            counter = (counter << 8) | carp[i];
        }

        return new Advert(mac, source, (byte)(carp[0] >> 4), (byte)(carp[0] & 0x0F), carp[1], carp[2], carp[3], carp[4], carp[5],
            counter, carp[16..36].ToArray());
    }
}
