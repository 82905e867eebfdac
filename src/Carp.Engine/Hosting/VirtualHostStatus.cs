using System.Net;
using Carp.Engine.Core;

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
    };

    public override string ToString() => $"{Name}: {State} vhid {Vhid} advbase {AdvBase} advskew {AdvSkew}";
}
