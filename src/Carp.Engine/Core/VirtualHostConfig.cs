using System.Net;
using System.Net.Sockets;
using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// One carp interface as <c>ifconfig carp1 vhid 1 carpdev em0 pass … advskew 128 172.16.0.100/24</c>
/// describes it. Immutable; a change produces a new config.
/// </summary>
public sealed record VirtualHostConfig
{
    public required string Name { get; init; }

    public required byte Vhid { get; init; }

    public required string CarpDev { get; init; }

    public IReadOnlyList<CarpAddress> Addresses { get; init; } = [];

    public byte AdvBase { get; init; } = 1;

    public byte AdvSkew { get; init; }

    public CarpKey Key { get; init; } = CarpKey.Empty;

    public MacMode MacMode { get; init; } = MacMode.Virtual;

    public CompatibilityProfile Profile { get; init; } = CompatibilityProfile.FreeBsd;

    /// <summary>Interface groups (OpenBSD <c>ifconfig -g</c>) whose demote counters this vhost advertises.</summary>
    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>Unicast IPv4 peer (FreeBSD <c>peer</c>, OpenBSD <c>carppeer</c>); null = 224.0.0.18.</summary>
    public IPAddress? Peer { get; init; }

    /// <summary>Unicast IPv6 peer (FreeBSD <c>peer6</c>); null = ff02::12.</summary>
    public IPAddress? Peer6 { get; init; }

    /// <summary>
    /// Maintenance mode (planned failover, docs/protocol.md#maintenance): the host stays out of mastership. A MASTER
    /// bows out and becomes BACKUP; a BACKUP neither preempts nor takes over when master-down expires.
    /// </summary>
    public bool Maintenance { get; init; }

    /// <summary>CARP (the default) or VRRPv3; fixed at creation (docs/protocol.md#vrrp).</summary>
    public VirtualHostProtocol Protocol { get; init; } = VirtualHostProtocol.Carp;

    /// <summary>VRRP only: this router's priority, <see cref="CarpLimits.PriorityRange"/>; the higher one is master (FreeBSD <c>vrrpprio</c>).</summary>
    public byte Priority { get; init; } = CarpLimits.PriorityDefault;

    /// <summary>VRRP only: the advertisement interval in centiseconds, <see cref="CarpLimits.IntervalRange"/> (FreeBSD <c>vrrpinterval</c>).</summary>
    public ushort Interval { get; init; } = CarpLimits.IntervalDefault;

    /// <summary>
    /// VRRP only: Preempt_Mode (default on, as RFC 5798): a backup of higher priority takes over from a master of lower
    /// priority when that master's adverts stop counting (docs/protocol.md#vrrp-election). CARP uses the <c>preempt</c> sysctl.
    /// </summary>
    public bool Preempt { get; init; } = true;

    /// <summary>
    /// VRRP only: Accept_Mode (docs/protocol.md#vrrp-accept-mode). On (the default, as keepalived without
    /// <c>vrrp_strict</c>): a MASTER takes packets addressed to its virtual addresses as its own. Off: it still answers ARP and
    /// ND for them and routes what is sent to its virtual MAC, but drops packets addressed to the virtual addresses
    /// themselves. RFC 5798 defaults to off for a non-owner; we default to on, because the routers this replaces
    /// (keepalived, CARP) take such packets, and a service on the virtual address is the common case.
    /// </summary>
    public bool Accept { get; init; } = true;

    /// <summary>VRRP only: how the IPv4 checksum is computed (docs/protocol.md#vrrp-checksum); every receive takes either.</summary>
    public VrrpChecksumMode VrrpChecksum { get; init; } = VrrpChecksumMode.PseudoHeader;

    /// <summary>
    /// Announcements in a new MASTER's first burst (docs/protocol.md#announcements): each is one gratuitous ARP per IPv4
    /// address and one unsolicited NA per IPv6 address. 1 (the BSD kernels' burst) unless set; the delayed one after two
    /// adverts comes on top.
    /// </summary>
    public byte AnnounceCount { get; init; } = 1;

    /// <summary>Milliseconds between the announcements of a burst; 0 sends them back to back.</summary>
    public ushort AnnounceSpacingMs { get; init; }

    /// <summary>Seconds between a MASTER's periodic re-announcements, for switches and hosts that forget; 0 (the default) is off.</summary>
    public int AnnounceRefreshSeconds { get; init; }

    public bool IsVrrp => Protocol == VirtualHostProtocol.Vrrp;

    public bool HasIPv4 => Addresses.Any(a => a.Family == AddressFamily.InterNetwork);

    public bool HasIPv6 => Addresses.Any(a => a.Family == AddressFamily.InterNetworkV6);

    /// <summary>Throws a <see cref="CarpException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (!IsValidInterfaceName(Name))
        {
            throw new CarpException(CarpErrorCode.InvalidInterfaceName,
                $"'{Name}' is not a usable interface name: {CarpLimits.InterfaceNameRule}.");
        }

        if (!IsValidInterfaceName(CarpDev))
        {
            throw new CarpException(CarpErrorCode.UnknownCarpDev,
                $"'{CarpDev}' is not a usable carpdev name: {CarpLimits.InterfaceNameRule}.");
        }

        if (!CarpLimits.IsValidVhid(Vhid))
        {
            throw new CarpException(CarpErrorCode.InvalidVhid, $"vhid {Vhid} is not valid: a vhid is {CarpLimits.VhidRange}, unique on its carpdev.");
        }

        if (!CarpLimits.IsValidAdvBase(AdvBase))
        {
            throw new CarpException(CarpErrorCode.InvalidAdvBase, $"advbase {AdvBase} is not valid: advbase is {CarpLimits.AdvBaseRange}.");
        }

        if (!CarpLimits.IsValidAdvSkew(AdvSkew))
        {
            throw new CarpException(CarpErrorCode.InvalidAdvSkew,
                $"advskew {AdvSkew} is not valid: advskew is {CarpLimits.AdvSkewRange} ({CarpConstants.BowOut} is reserved for bow-out adverts).");
        }

        if (IsVrrp)
        {
            ValidateVrrp();
        }

        ValidateAnnouncements();

        var seen = new HashSet<IPAddress>();
        foreach (var address in Addresses)
        {
            if (!seen.Add(address.Address))
            {
                throw new CarpException(CarpErrorCode.InvalidAddress, $"virtual address {address.Address} is listed twice.");
            }
        }

        if (Groups.Any(g => !IsValidInterfaceName(g)) || Groups.Distinct(StringComparer.Ordinal).Count() != Groups.Count)
        {
            throw new CarpException(CarpErrorCode.InvalidArgument, $"Interface groups must be distinct names of {CarpLimits.InterfaceNameRule}.");
        }

        if (Peer is not null && Peer.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new CarpException(CarpErrorCode.InvalidAddress, "peer must be an IPv4 address.");
        }

        if (Peer6 is not null && Peer6.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new CarpException(CarpErrorCode.InvalidAddress, "peer6 must be an IPv6 address.");
        }

        // A peer is one host: a group, the broadcast or the unspecified address would make the adverts something else.
        if (Peer is not null && (Peer.Equals(IPAddress.Any) || Peer.Equals(IPAddress.Broadcast) || (Peer.GetAddressBytes()[0] & 0xF0) == 0xE0))
        {
            throw new CarpException(CarpErrorCode.InvalidAddress, $"peer {Peer} is not a unicast address: a peer is the other node's own address, such as 192.0.2.2.");
        }

        if (Peer6 is not null && (Peer6.Equals(IPAddress.IPv6Any) || Peer6.IsIPv6Multicast))
        {
            throw new CarpException(CarpErrorCode.InvalidAddress, $"peer6 {Peer6} is not a unicast address: a peer is the other node's own address, such as 2001:db8::2 or fe80::2.");
        }
    }

    private void ValidateAnnouncements()
    {
        if (!CarpLimits.IsValidAnnounceCount(AnnounceCount))
        {
            throw new CarpException(CarpErrorCode.InvalidArgument,
                $"announce count {AnnounceCount} is not valid: a new master sends {CarpLimits.AnnounceCountRange} announcements in its first burst.");
        }

        if (!CarpLimits.IsValidAnnounceSpacing(AnnounceSpacingMs))
        {
            throw new CarpException(CarpErrorCode.InvalidArgument,
                $"announce spacing {AnnounceSpacingMs} ms is not valid: give 0 (back to back) to {CarpLimits.AnnounceSpacingMaxMs} ms.");
        }

        if (!CarpLimits.IsValidAnnounceRefresh(AnnounceRefreshSeconds))
        {
            throw new CarpException(CarpErrorCode.InvalidArgument,
                $"announce refresh {AnnounceRefreshSeconds} s is not valid: give 0 (off) to {CarpLimits.AnnounceRefreshMaxSeconds} seconds.");
        }
    }

    private void ValidateVrrp()
    {
        if (!CarpLimits.IsValidPriority(Priority))
        {
            throw new CarpException(CarpErrorCode.InvalidPriority,
                $"priority {Priority} is not valid: a VRRP priority is {CarpLimits.PriorityRange} (0 is sent on shutdown, 255 is the address owner's).");
        }

        if (!CarpLimits.IsValidInterval(Interval))
        {
            throw new CarpException(CarpErrorCode.InvalidInterval, $"interval {Interval} is not valid: a VRRP advertisement interval is {CarpLimits.IntervalRange}.");
        }

        if (!Key.IsEmpty)
        {
            throw new CarpException(CarpErrorCode.InvalidPass, "VRRPv3 has no authentication: a VRRP virtual host takes no pass.");
        }

        if (HasIPv4 && HasIPv6)
        {
            throw new CarpException(CarpErrorCode.InvalidAddress,
                "a VRRP virtual router carries addresses of one family (IPv4 or IPv6, RFC 5798): use two vhids for both.");
        }

        var limit = HasIPv6 ? VrrpConstants.MaxAddressesV6 : VrrpConstants.MaxAddressesV4;
        if (Addresses.Count > limit)
        {
            throw new CarpException(CarpErrorCode.InvalidAddress, $"a VRRP advert carries at most {limit} addresses of this family, not {Addresses.Count}.");
        }
    }

    /// <summary>1 to <see cref="CarpLimits.InterfaceNameMaxLength"/> ASCII letters, digits, '.', '-' or '_' (<see cref="CarpLimits.InterfaceNameRule"/>).</summary>
    public static bool IsValidInterfaceName(string? name) =>
        name is { Length: >= 1 and <= CarpLimits.InterfaceNameMaxLength } && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_');
}
