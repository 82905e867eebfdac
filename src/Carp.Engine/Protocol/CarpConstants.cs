using System.Net;
using System.Net.NetworkInformation;

namespace Carp.Engine.Protocol;

/// <summary>Wire constants of CARPv2 (docs/protocol.md#packets).</summary>
public static class CarpConstants
{
    public const byte IpProtocol = 112;
    public const byte Version = 2;
    public const byte TypeAdvertisement = 1;
    /// <summary>(8-byte counter + 20-byte HMAC) / 4.</summary>
    public const byte AuthLen = 7;
    public const int HeaderLength = 36;
    public const int HmacLength = 20;
    public const int CounterOffset = 8;
    public const int HmacOffset = 16;
    public const byte Ttl = 255;
    /// <summary>advbase/advskew of a bow-out advert.</summary>
    public const byte BowOut = 255;
    /// <summary>CARP_MAXSKEW: the highest advskew demotion can produce.</summary>
    public const byte MaxDemotedSkew = 240;

    public static readonly IPAddress MulticastV4 = IPAddress.Parse("224.0.0.18");
    public static readonly IPAddress MulticastV6 = IPAddress.Parse("ff02::12");
    public static readonly PhysicalAddress MulticastMacV4 = PhysicalAddress.Parse("01-00-5E-00-00-12");
    public static readonly PhysicalAddress MulticastMacV6 = PhysicalAddress.Parse("33-33-00-00-00-12");
}
