using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Carp.Engine.Core;

/// <summary>
/// What a passive watch knows of one vhid / VRID of one protocol and family on a segment (docs/protocol.md#segment-watch):
/// its master (the sender whose advert came last; <see cref="Masters"/> lists every sender advertising now), that sender's
/// timing, the address set where it is visible, counters and findings. A snapshot: it does not change afterwards.
/// </summary>
public sealed record SegmentEntry
{
    public required string Interface { get; init; }

    public required SegmentProtocol Protocol { get; init; }

    public required AddressFamily Family { get; init; }

    public required byte Vhid { get; init; }

    /// <summary>The source address of the last advert's sender.</summary>
    public required IPAddress Master { get; init; }

    /// <summary>The Ethernet source of the last advert (the virtual MAC, ucarp's 00:00:5e:00:00:vhid, or a real MAC).</summary>
    public required PhysicalAddress Mac { get; init; }

    /// <summary>Every sender advertising within its master-down interval of <see cref="At"/>; two or more is a split brain.</summary>
    public required IReadOnlyList<IPAddress> Masters { get; init; }

    /// <summary>Every sender seen during the watch.</summary>
    public required IReadOnlyList<SegmentSender> Senders { get; init; }

    /// <summary>CARP: the master's advbase (seconds); 0 for VRRP.</summary>
    public byte AdvBase { get; init; }

    /// <summary>CARP: the master's advertised advskew (255 in a bow-out); 0 for VRRP.</summary>
    public byte AdvSkew { get; init; }

    /// <summary>CARP: the demote byte of the master's advert.</summary>
    public byte Demote { get; init; }

    /// <summary>VRRP: the master's priority (0 when it leaves); 0 for CARP.</summary>
    public byte Priority { get; init; }

    /// <summary>The master's advert interval: CARP advbase + advskew/256, VRRP its Max Advert Interval.</summary>
    public TimeSpan Interval { get; init; }

    /// <summary>The virtual addresses where visible: VRRP adverts carry them; CARP only once an HMAC verified them with the pass.</summary>
    public required IReadOnlyList<IPAddress> Addresses { get; init; }

    /// <summary>When the last advert of this vhid arrived.</summary>
    public required DateTimeOffset LastSeen { get; init; }

    /// <summary>When this snapshot was taken.</summary>
    public required DateTimeOffset At { get; init; }

    /// <summary>How old the last advert was when this snapshot was taken.</summary>
    public TimeSpan Age => At - LastSeen;

    /// <summary>Adverts of this vhid seen (valid ones: checksum and layout right).</summary>
    public required long Adverts { get; init; }

    /// <summary>With a pass: adverts whose HMAC failed for every address set known.</summary>
    public long HmacFailures { get; init; }

    /// <summary>With a pass: adverts verified by their HMAC.</summary>
    public long HmacVerified { get; init; }

    /// <summary>Every finding raised for this vhid during the watch.</summary>
    public required SegmentFindings Findings { get; init; }

    public override string ToString() => $"{Protocol} {Vhid} {Master} {Findings}";
}

/// <summary>One finding as it was raised (docs/protocol.md#segment-watch): which vhid, when, and in plain words why.</summary>
public sealed record SegmentFinding(
    string Interface,
    SegmentProtocol Protocol,
    AddressFamily Family,
    byte Vhid,
    SegmentFindings Finding,
    DateTimeOffset Time,
    string Detail)
{
    public override string ToString() => $"{Finding} {Protocol} {Vhid}: {Detail}";
}
