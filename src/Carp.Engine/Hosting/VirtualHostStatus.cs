using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Engine.Hosting;

/// <summary>What <c>ifconfig carp1</c> shows of one virtual host, at one moment. Carries no secret.</summary>
public sealed record VirtualHostStatus
{
    public required string Name { get; init; }
    public required byte Vhid { get; init; }
    public required string CarpDev { get; init; }
    public required CarpState State { get; init; }
    public required IReadOnlyList<CarpAddress> Addresses { get; init; }
    public required byte AdvBase { get; init; }
    public required byte AdvSkew { get; init; }
    /// <summary>The advskew actually advertised after demotion / suppression (JSON <c>effectiveAdvskew</c>, PowerShell <c>EffectiveAdvSkew</c>).</summary>
    public required byte AdvertisedAdvSkew { get; init; }
    /// <summary>The demote count advertised, OpenBSD's demote byte (JSON and PowerShell <c>Demotion</c>).</summary>
    public required byte DemoteCount { get; init; }
    public required MacMode MacMode { get; init; }
    public required string Profile { get; init; }
    public required bool HasPass { get; init; }
    /// <summary>Source address of the last valid advert heard from another node, if any.</summary>
    public IPAddress? MasterSeen { get; init; }
    /// <summary>The advbase of the advert <see cref="MasterSeen"/> sent (255 for a bow-out); null when unknown.</summary>
    public byte? MasterSeenAdvBase { get; init; }
    /// <summary>The advskew of the advert <see cref="MasterSeen"/> sent (255 for a bow-out); null when unknown.</summary>
    public byte? MasterSeenAdvSkew { get; init; }
    public DateTimeOffset? LastTransition { get; init; }
    public TransitionReason? LastTransitionReason { get; init; }
    public long Transitions { get; init; }
    public CarpState? ForcedState { get; init; }
    public IReadOnlyList<string> Groups { get; init; } = [];
    /// <summary>In maintenance mode (Suspend-CarpInterface, carpd's <c>maintenance</c> keyword): it stays out of mastership.</summary>
    public bool Maintenance { get; init; }
    /// <summary>IPv4 unicast peer its adverts go to (FreeBSD <c>peer</c>); null: 224.0.0.18.</summary>
    public IPAddress? Peer { get; init; }
    /// <summary>IPv6 unicast peer its adverts go to (FreeBSD <c>peer6</c>); null: ff02::12.</summary>
    public IPAddress? Peer6 { get; init; }

    /// <summary>CARP or VRRPv3 (docs/protocol.md#vrrp); the VRRP settings below mean nothing for CARP.</summary>
    public VirtualHostProtocol Protocol { get; init; }

    /// <summary>VRRP: the configured priority.</summary>
    public byte Priority { get; init; } = CarpLimits.PriorityDefault;

    /// <summary>VRRP: the configured advertisement interval in centiseconds.</summary>
    public ushort Interval { get; init; } = CarpLimits.IntervalDefault;

    /// <summary>VRRP: Preempt_Mode.</summary>
    public bool Preempt { get; init; } = true;

    /// <summary>VRRP: Accept_Mode (docs/protocol.md#vrrp-accept-mode).</summary>
    public bool Accept { get; init; } = true;

    /// <summary>VRRP: how IPv4 checksums are sent.</summary>
    public VrrpChecksumMode VrrpChecksum { get; init; }

    /// <summary>VRRP: the master's interval a BACKUP runs its master-down timer on (centiseconds), learnt from its adverts.</summary>
    public ushort? MasterAdverInterval { get; init; }

    /// <summary>VRRP: the priority of the last advert heard from another router (0: it left).</summary>
    public byte? MasterSeenPriority { get; init; }

    /// <summary>
    /// The vhids on the carpdev that carry one of this host's IPv4 addresses too, this one included, in vhid order: its ARP
    /// balancing set (docs/protocol.md#arp-balancing). Empty when it shares no address.
    /// </summary>
    public IReadOnlyList<byte> BalancingSet { get; init; } = [];
    /// <summary>
    /// ARP balancing is on (<c>arpbalance</c> 1), this host is in a set and MASTER: this engine answers the ARP requests
    /// whose sender address selects this vhid, with its virtual MAC.
    /// </summary>
    public bool AnswersArp { get; init; }

    /// <summary>Announcements in a new MASTER's first burst (docs/protocol.md#announcements).</summary>
    public byte AnnounceCount { get; init; } = 1;

    /// <summary>Milliseconds between the announcements of a burst.</summary>
    public ushort AnnounceSpacingMs { get; init; }

    /// <summary>Seconds between a MASTER's periodic re-announcements; 0: off.</summary>
    public int AnnounceRefreshSeconds { get; init; }

    /// <summary>Announcements sent since the interface was created: bursts, the delayed one, refreshes, answers to another master.</summary>
    public long Announcements { get; init; }

    /// <summary>Adverts heard, as MASTER, from another master of this vhid that had to yield (docs/protocol.md#split-brain-heal).</summary>
    public long OtherMastersSeen { get; init; }

    /// <summary>Adverts of this virtual host sent since it was created (each family counts).</summary>
    public long AdvertsSent { get; init; }

    /// <summary>Adverts for this virtual host received and accepted since it was created.</summary>
    public long AdvertsReceived { get; init; }

    /// <summary>VRRP: the priority advertised and elected with, the configured one less the failing trackers' weights (docs/protocol.md#trackers).</summary>
    public byte AdvertisedPriority { get; init; } = CarpLimits.PriorityDefault;

    /// <summary>The health trackers whose scope covers this host, failing or not (docs/protocol.md#trackers).</summary>
    public IReadOnlyList<string> Trackers { get; init; } = [];

    /// <summary>The sum of the demotions of its failing trackers: added to the advskew or demote byte, or taken off the VRRP priority.</summary>
    public int TrackerDemotion { get; init; }

    /// <summary>A failing tracker with <c>fault</c> holds it in INIT.</summary>
    public bool TrackerFault { get; init; }

    /// <summary>The status of a configured virtual host in <paramref name="state"/>, before any runtime history.</summary>
    public static VirtualHostStatus Of(VirtualHostConfig config, CarpState state) => new()
    {
        Name = config.Name,
        Vhid = config.Vhid,
        CarpDev = config.CarpDev,
        State = state,
        Addresses = config.Addresses,
        AdvBase = config.AdvBase,
        AdvSkew = config.AdvSkew,
        AdvertisedAdvSkew = config.AdvSkew,
        DemoteCount = 0,
        MacMode = config.MacMode,
        Profile = config.Profile.Name,
        HasPass = !config.Key.IsEmpty,
        Groups = config.Groups,
        Maintenance = config.Maintenance,
        Peer = config.Peer,
        Peer6 = config.Peer6,
        Protocol = config.Protocol,
        Priority = config.Priority,
        AdvertisedPriority = config.Priority,
        Interval = config.Interval,
        Preempt = config.Preempt,
        Accept = config.Accept,
        VrrpChecksum = config.VrrpChecksum,
        AnnounceCount = config.AnnounceCount,
        AnnounceSpacingMs = config.AnnounceSpacingMs,
        AnnounceRefreshSeconds = config.AnnounceRefreshSeconds,
    };

    public override string ToString() => Protocol == VirtualHostProtocol.Vrrp
        ? $"{Name}: {State} vrid {Vhid} priority {Priority} interval {Interval} cs"
        : $"{Name}: {State} vhid {Vhid} advbase {AdvBase} advskew {AdvSkew}";
}
