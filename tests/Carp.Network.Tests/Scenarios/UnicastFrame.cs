using System.Net;
using System.Net.NetworkInformation;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// A captured frame as the unicast scenarios look at it: both MACs, and for CARP the IP addresses, TTL / hop limit and vhid;
/// for ARP the sender's addresses; for ICMP / ICMPv6 the type and code. Decoded by the test itself.
/// </summary>
internal sealed record UnicastFrame(PhysicalAddress SourceMac, PhysicalAddress DestinationMac, string Kind, IPAddress? Source,
    IPAddress? Destination, byte Ttl, byte Vhid, byte Type, byte Code)
{
    public const string Carp = "carp";
    public const string Arp = "arp";
    public const string Icmp = "icmp";
    public const string Other = "other";

    public bool IsMulticastDestination => Destination is { } d &&
        (d.IsIPv6Multicast || (d.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork && (d.GetAddressBytes()[0] & 0xF0) == 0xE0));

    public override string ToString() =>
        $"{Kind} {Source} -> {Destination} ttl {Ttl} vhid {Vhid} type {Type}/{Code} ({SourceMac} -> {DestinationMac})";

    public static UnicastFrame Parse(ReadOnlySpan<byte> frame)
    {
        var destinationMac = new PhysicalAddress(frame[..6].ToArray());
        var sourceMac = new PhysicalAddress(frame[6..12].ToArray());
        int etherType = (frame[12] << 8) | frame[13];
        var ip = frame[14..];
        if (etherType == 0x0806 && ip.Length >= 28)
        {
            // ARP: sender protocol address at 14, target at 24.
            return new UnicastFrame(sourceMac, destinationMac, Arp, new IPAddress(ip[14..18]), new IPAddress(ip[24..28]), 0, 0, ip[7], 0);
        }

        if (etherType == 0x0800 && ip.Length >= 20)
        {
            int ihl = (ip[0] & 0x0F) * 4;
            var (source, destination) = (new IPAddress(ip[12..16]), new IPAddress(ip[16..20]));
            return ip[9] switch
            {
                112 when ip.Length >= ihl + 2 => new UnicastFrame(sourceMac, destinationMac, Carp, source, destination, ip[8], ip[ihl + 1], 0, 0),
                1 when ip.Length >= ihl + 2 => new UnicastFrame(sourceMac, destinationMac, Icmp, source, destination, ip[8], 0, ip[ihl], ip[ihl + 1]),
                _ => new UnicastFrame(sourceMac, destinationMac, Other, source, destination, ip[8], 0, 0, 0),
            };
        }

        if (etherType == 0x86DD && ip.Length >= 42)
        {
            var (source, destination) = (new IPAddress(ip[8..24]), new IPAddress(ip[24..40]));
            return ip[6] switch
            {
                112 => new UnicastFrame(sourceMac, destinationMac, Carp, source, destination, ip[7], ip[41], 0, 0),
                58 => new UnicastFrame(sourceMac, destinationMac, Icmp, source, destination, ip[7], 0, ip[40], ip[41]),
                _ => new UnicastFrame(sourceMac, destinationMac, Other, source, destination, ip[7], 0, 0, 0),
            };
        }

        return new UnicastFrame(sourceMac, destinationMac, Other, null, null, 0, 0, 0, 0);
    }

    /// <summary>Records every CARP, ARP and ICMP frame on <paramref name="ifname"/> of <paramref name="ns"/> in <paramref name="direction"/>.</summary>
    public static Recorder<UnicastFrame> Watch(Scenario s, string ns, string ifname, string direction = "inbound")
    {
        var frames = new Recorder<UnicastFrame>($"{direction} at {ifname}");
        var device = CaptureDevice.Start(ns, ifname, $"{direction} and (ip proto 112 or ip6 proto 112 or arp or icmp or icmp6)",
            frame => frames.Add(Parse(frame)));
        s.Own(device);
        s.Log("watch", $"frames {direction} at {ifname} in {ns}");
        return frames;
    }
}
