using System.Net;
using System.Net.NetworkInformation;

namespace Carp.Engine.Core;

/// <summary>
/// One sender of a watched vhid as last seen (docs/protocol.md#segment-watch): its source address and Ethernet source,
/// the timing it advertised (CARP advbase/advskew/demote, VRRP priority/interval), and its adverts.
/// </summary>
public sealed record SegmentSender(
    IPAddress Address,
    PhysicalAddress Mac,
    DateTimeOffset FirstSeen,
    DateTimeOffset LastSeen,
    long Adverts,
    byte AdvBase,
    byte AdvSkew,
    byte Demote,
    byte Priority,
    TimeSpan Interval,
    bool Leaving)
{
    /// <summary>
    /// The longest master-down interval a backup of this sender can have (docs/protocol.md#segment-watch): CARP
    /// 3 × (advbase + 1 s), above every profile's 3 × advbase + skew; VRRP 4 × its interval, above 3 × interval + skew.
    /// </summary>
    public TimeSpan MasterDown => AdvBase == 0 ? Interval * 4 : TimeSpan.FromSeconds(3 * (AdvBase + 1));

    public override string ToString() => $"{Address} ({Mac})";
}
