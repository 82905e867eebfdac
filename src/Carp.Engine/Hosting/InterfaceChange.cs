using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Engine.Hosting;

/// <summary>The settings a change of a carp interface (<c>ifconfig carpN …</c>) sets; null = unchanged.</summary>
public sealed record InterfaceChange
{
    public byte? Vhid { get; init; }
    public byte? AdvBase { get; init; }
    public byte? AdvSkew { get; init; }
    public CarpKey? Key { get; init; }
    public IReadOnlyList<CarpAddress>? Addresses { get; init; }
    public string? CarpDev { get; init; }
    public MacMode? MacMode { get; init; }
    public string? Profile { get; init; }
    public IReadOnlyList<string>? Groups { get; init; }

    /// <summary>Send IPv4 adverts to this unicast peer (FreeBSD <c>peer</c>, OpenBSD <c>carppeer</c>; docs/protocol.md#unicast-peers).</summary>
    public IPAddress? Peer { get; init; }

    /// <summary>Send IPv6 adverts to this unicast peer (FreeBSD <c>peer6</c>; may be link-local).</summary>
    public IPAddress? Peer6 { get; init; }

    /// <summary>true: IPv4 adverts go to 224.0.0.18 again, the IPv4 peer is dropped (FreeBSD <c>mcast</c>).</summary>
    public bool Mcast { get; init; }

    /// <summary>true: IPv6 adverts go to ff02::12 again, the IPv6 peer is dropped (FreeBSD <c>mcast6</c>).</summary>
    public bool Mcast6 { get; init; }

    /// <summary>Maintenance mode on (suspend: a MASTER hands over and stays BACKUP) or off (resume); configuration, so carpd saves it.</summary>
    public bool? Maintenance { get; init; }

    /// <summary>
    /// The protocol the caller expects; fixed at creation, so anything other than the current one is refused
    /// (<see cref="CarpErrorCode.ProtocolFixed"/>, docs/protocol.md#vrrp).
    /// </summary>
    public VirtualHostProtocol? Protocol { get; init; }

    /// <summary>VRRP: the priority (1 to 254).</summary>
    public byte? Priority { get; init; }

    /// <summary>VRRP: the advertisement interval in centiseconds (1 to 4095).</summary>
    public ushort? Interval { get; init; }

    /// <summary>VRRP: Preempt_Mode.</summary>
    public bool? Preempt { get; init; }

    /// <summary>VRRP: Accept_Mode (docs/protocol.md#vrrp-accept-mode).</summary>
    public bool? Accept { get; init; }

    /// <summary>VRRP: how IPv4 checksums are sent (docs/protocol.md#vrrp-checksum).</summary>
    public VrrpChecksumMode? VrrpChecksum { get; init; }

    /// <summary>Announcements in a new MASTER's first burst (docs/protocol.md#announcements).</summary>
    public byte? AnnounceCount { get; init; }

    /// <summary>Milliseconds between the announcements of a burst.</summary>
    public ushort? AnnounceSpacingMs { get; init; }

    /// <summary>Seconds between a MASTER's periodic re-announcements; 0: off.</summary>
    public int? AnnounceRefreshSeconds { get; init; }

    /// <summary>Force MASTER or BACKUP now (FreeBSD <c>state master|backup</c>); the protocol then runs on from there.</summary>
    public CarpState? State { get; init; }

    /// <summary>Adjust this interface's OpenBSD demote counter by this amount (<c>carpdemote n</c>).</summary>
    public int? DemoteAdjustment { get; init; }

    /// <summary>
    /// The configuration after this change (state and demotion are runtime actions, not configuration).
    /// Throws <see cref="CarpException"/> for an unknown profile or an invalid result; <paramref name="config"/> is unchanged.
    /// </summary>
    public VirtualHostConfig ApplyTo(VirtualHostConfig config)
    {
        if ((Mcast && Peer is not null) || (Mcast6 && Peer6 is not null))
        {
            throw new CarpException(CarpErrorCode.InvalidArgument,
                $"A unicast peer and multicast were both asked for {(Mcast && Peer is not null ? "IPv4" : "IPv6")}: give either the peer or multicast.");
        }

        if (Protocol is { } protocol && protocol != config.Protocol)
        {
            throw CarpRefusals.ProtocolFixed(config.Name, config.Protocol, protocol);
        }

        if (!config.IsVrrp && (Priority ?? Interval ?? (object?)Preempt ?? (object?)Accept ?? VrrpChecksum) is not null)
        {
            throw new CarpException(CarpErrorCode.InvalidArgument,
                $"{config.Name} speaks CARP: priority, interval, preempt, accept and the VRRP checksum are VRRPv3's (its timing is advbase and advskew).");
        }

        if (config.IsVrrp && (AdvBase ?? AdvSkew ?? (object?)Profile) is not null)
        {
            throw new CarpException(CarpErrorCode.InvalidArgument,
                $"{config.Name} speaks VRRPv3: advbase, advskew and the compatibility profile are CARP's (its timing is priority and interval).");
        }

        var profile = Profile is null ? config.Profile : CompatibilityProfile.Find(Profile) ?? throw CarpRefusals.UnknownProfile(Profile);
        var changed = config with
        {
            Vhid = Vhid ?? config.Vhid,
            AdvBase = AdvBase ?? config.AdvBase,
            AdvSkew = AdvSkew ?? config.AdvSkew,
            Key = Key ?? config.Key,
            Addresses = Addresses ?? config.Addresses,
            CarpDev = CarpDev ?? config.CarpDev,
            MacMode = MacMode ?? config.MacMode,
            Profile = profile,
            Groups = Groups ?? config.Groups,
            Maintenance = Maintenance ?? config.Maintenance,
            Peer = Mcast ? null : Peer ?? config.Peer,
            Peer6 = Mcast6 ? null : Peer6 ?? config.Peer6,
            Priority = Priority ?? config.Priority,
            Interval = Interval ?? config.Interval,
            Preempt = Preempt ?? config.Preempt,
            Accept = Accept ?? config.Accept,
            VrrpChecksum = VrrpChecksum ?? config.VrrpChecksum,
            AnnounceCount = AnnounceCount ?? config.AnnounceCount,
            AnnounceSpacingMs = AnnounceSpacingMs ?? config.AnnounceSpacingMs,
            AnnounceRefreshSeconds = AnnounceRefreshSeconds ?? config.AnnounceRefreshSeconds,
        };
        changed.Validate();
        return changed;
    }
}
