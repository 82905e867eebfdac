namespace Carp.Engine.Protocol;

/// <summary>
/// The fixed fields of a 36-byte CARP header (docs/protocol.md#packet-header; the HMAC is read from the span itself).
/// <see cref="AdvSkew"/> is the sender's advertised advskew (255 in a bow-out) and <see cref="DemoteCount"/> its
/// demote count, header byte 4 (docs/glossary.md).
/// </summary>
public readonly record struct CarpAdvertisement(
    byte Version,
    byte Type,
    byte Vhid,
    byte AdvSkew,
    byte AuthLen,
    byte DemoteCount,
    byte AdvBase,
    ushort Checksum,
    ulong Counter);
