namespace Carp.Engine.Protocol;

/// <summary>
/// The fixed fields of a VRRPv3 advertisement (docs/protocol.md#vrrp-packet); the addresses are read from the span itself
/// (<see cref="VrrpCodec.Addresses"/>). <see cref="Interval"/> is the Max Adver Int in centiseconds (the low 12 bits of
/// bytes 4–5; the 4 reserved bits are ignored on receive).
/// </summary>
public readonly record struct VrrpAdvertisement(
    byte Version,
    byte Type,
    byte Vrid,
    byte Priority,
    byte AddressCount,
    ushort Interval,
    ushort Checksum);
