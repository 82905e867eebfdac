namespace Carp.Engine.Protocol;

/// <summary>The fixed fields of a 36-byte CARP header (the HMAC is read from the span itself).</summary>
public readonly record struct CarpAdvertisement(
    byte Version,
    byte Type,
    byte Vhid,
    byte AdvSkew,
    byte AuthLen,
    byte Demote,
    byte AdvBase,
    ushort Checksum,
    ulong Counter);
