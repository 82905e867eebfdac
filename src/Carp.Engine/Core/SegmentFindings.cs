namespace Carp.Engine.Core;

/// <summary>What a passive watch of a segment found wrong with one vhid / VRID (docs/protocol.md#segment-watch).</summary>
[Flags]
public enum SegmentFindings
{
    None = 0,

    /// <summary>Two senders kept advertising the same vhid at once: backups are silent, so both are masters.</summary>
    SplitBrain = 1,

    /// <summary>Two senders of one vhid stand for different address sets (where the sets are visible).</summary>
    VhidCollision = 2,

    /// <summary>With a pass given: adverts whose HMAC fails for every address set known for the vhid.</summary>
    PassMismatch = 4,

    /// <summary>CARP and VRRP adverts for the same id on one segment (they share the virtual MAC 00:00:5e:00:01:id).</summary>
    ProtocolClash = 8,

    /// <summary>Adverts were seen, then none for longer than the master-down interval.</summary>
    MasterSilent = 16,
}

/// <summary>The protocol of a watched advert: CARP (version 2) or VRRPv3 (version 3) over IP protocol 112.</summary>
public enum SegmentProtocol
{
    Carp,
    Vrrp,
}
