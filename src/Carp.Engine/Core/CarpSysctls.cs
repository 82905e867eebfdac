using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// The global <c>net.inet.carp.*</c> settings with the man page's names and defaults (docs/protocol.md#sysctls).
/// Immutable: <see cref="SysctlCatalog.Apply"/> returns the changed copy.
/// </summary>
public sealed record CarpSysctls
{
    /// <summary>Accept incoming CARP packets; 0 also puts every vhost into INIT (FreeBSD).</summary>
    public bool Allow { get; init; } = true;

    /// <summary>A BACKUP takes over from a master that advertises less frequently.</summary>
    public bool Preempt { get; init; }

    /// <summary>0 silent, 1 state changes, 2 and above also bad packets.</summary>
    public int Log { get; init; } = 1;

    /// <summary>ARP load balancing over the vhids of a carpdev that share an IPv4 address (docs/protocol.md#arp-balancing).</summary>
    public bool ArpBalance { get; init; }

    /// <summary>Read-only: how many vhids are suppressing preemption (carpdev down, send errors).</summary>
    public int SuppressPreempt { get; init; }

    /// <summary>FreeBSD demotion added to every advskew (clamped 0..240); writing adds to it.</summary>
    public int Demotion { get; init; }

    public int IfDownDemotionFactor { get; init; } = CarpConstants.MaxDemotedSkew;

    public int SendErrDemotionFactor { get; init; } = CarpConstants.MaxDemotedSkew;

    /// <summary>DSCP of sent adverts; the default 4 gives TOS 0x10 as OpenBSD and ucarp send.</summary>
    public int Dscp { get; init; } = 4;

    public static CarpSysctls Default { get; } = new();

    /// <summary>The IPv4 TOS / IPv6 traffic class byte.</summary>
    public byte TrafficClass => (byte)(Dscp << 2);
}
