using System.Net;

namespace Carp.Engine.Protocol;

/// <summary>
/// Wire constants of VRRPv3 (RFC 5798 as updated by RFC 9568; docs/protocol.md#vrrp-packet). It shares IP protocol 112,
/// TTL / hop limit 255 and the groups 224.0.0.18 / ff02::12 with CARP (<see cref="CarpConstants"/>); the version nibble
/// of the first byte (2 for CARP, 3 here) tells them apart.
/// </summary>
public static class VrrpConstants
{
    public const byte Version = 3;
    public const byte TypeAdvertisement = 1;

    /// <summary>The fixed part: version/type, VRID, priority, address count, reserved bits + max advert interval, checksum.</summary>
    public const int FixedLength = 8;

    /// <summary>Offset of the 16-bit checksum.</summary>
    public const int ChecksumOffset = 6;

    /// <summary>The priority a master sends as it stops, so that a backup takes over after its skew time only.</summary>
    public const byte ShutdownPriority = 0;

    /// <summary>The lowest and highest priority a backup may have (255 is the address owner's, which CarpPS does not take).</summary>
    public const byte PriorityMin = 1;
    public const byte PriorityMax = 254;

    /// <summary>The address owner's priority.</summary>
    public const byte OwnerPriority = 255;

    /// <summary>The advertisement interval in centiseconds: 12 bits, 0 not valid.</summary>
    public const ushort IntervalMin = 1;
    public const ushort IntervalMax = 4095;

    /// <summary>Addresses one advert may carry: the count is one byte, and the message stays within one Ethernet frame.</summary>
    public const int MaxAddressesV4 = 255;
    public const int MaxAddressesV6 = 80;

    public static readonly IPAddress MulticastV4 = CarpConstants.MulticastV4;
    public static readonly IPAddress MulticastV6 = CarpConstants.MulticastV6;
}
