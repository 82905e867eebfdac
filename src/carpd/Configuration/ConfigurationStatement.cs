using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carpd.Configuration;

/// <summary>One statement (line) of a carpd configuration file, as written, before passfiles are read.</summary>
internal abstract record ConfigurationStatement(int Line);

/// <summary><c>net.inet.carp.NAME=VALUE</c>.</summary>
internal sealed record SysctlStatement(int Line, SysctlDescriptor Descriptor, long Value) : ConfigurationStatement(Line);

/// <summary><c>carp1 vhid 1 carpdev eth0 pass … 192.0.2.100/24</c>.</summary>
internal sealed record InterfaceStatement(int Line, string Name) : ConfigurationStatement(Line)
{
    public byte? Vhid { get; set; }

    public string? CarpDev { get; set; }

    public List<CarpAddress> Addresses { get; } = [];

    public byte? AdvBase { get; set; }

    public byte? AdvSkew { get; set; }

    /// <summary>From <c>pass</c> or <c>passhex</c>.</summary>
    public CarpKey? InlineKey { get; set; }

    /// <summary>From <c>passfile</c>, as written (relative paths are relative to the configuration file).</summary>
    public string? PassFile { get; set; }

    /// <summary>The inline pass was longer than 19 bytes and was cut as ifconfig cuts it.</summary>
    public bool PassTruncated { get; set; }

    public MacMode? MacMode { get; set; }

    public CompatibilityProfile? Profile { get; set; }

    public List<string> Groups { get; } = [];

    public IPAddress? Peer { get; set; }

    public IPAddress? Peer6 { get; set; }

    /// <summary>The <c>maintenance</c> keyword: the interface stays out of mastership (docs/protocol.md#maintenance).</summary>
    public bool Maintenance { get; set; }

    /// <summary><c>carpver 3</c>: VRRPv3 (docs/protocol.md#vrrp); <c>carpver 2</c> or none: CARP.</summary>
    public VirtualHostProtocol? Protocol { get; set; }

    /// <summary><c>vrrpprio</c>.</summary>
    public byte? Priority { get; set; }

    /// <summary><c>vrrpinterval</c>, centiseconds.</summary>
    public ushort? Interval { get; set; }

    /// <summary><c>nopreempt</c>.</summary>
    public bool NoPreempt { get; set; }

    /// <summary><c>noaccept</c>.</summary>
    public bool NoAccept { get; set; }

    /// <summary><c>vrrpchecksum pseudoheader|v2</c>.</summary>
    public VrrpChecksumMode? VrrpChecksum { get; set; }

    /// <summary><c>announcecount</c>.</summary>
    public byte? AnnounceCount { get; set; }

    /// <summary><c>announcespacing</c>, milliseconds.</summary>
    public ushort? AnnounceSpacingMs { get; set; }

    /// <summary><c>announcerefresh</c>, seconds.</summary>
    public int? AnnounceRefreshSeconds { get; set; }

    /// <summary>The virtual host this line describes with <paramref name="key"/>; null while vhid or carpdev is missing.</summary>
    public VirtualHostConfig? ToConfig(CarpKey key) => Vhid is null || CarpDev is null
        ? null
        : new VirtualHostConfig
        {
            Name = Name,
            Vhid = Vhid.Value,
            CarpDev = CarpDev,
            Addresses = [.. Addresses],
            AdvBase = AdvBase ?? 1,
            AdvSkew = AdvSkew ?? 0,
            Key = key,
            MacMode = MacMode ?? Carp.Engine.Core.MacMode.Virtual,
            Profile = Profile ?? CompatibilityProfile.FreeBsd,
            Groups = [.. Groups],
            Peer = Peer,
            Peer6 = Peer6,
            Maintenance = Maintenance,
            Protocol = Protocol ?? VirtualHostProtocol.Carp,
            Priority = Priority ?? CarpLimits.PriorityDefault,
            Interval = Interval ?? CarpLimits.IntervalDefault,
            Preempt = !NoPreempt,
            Accept = !NoAccept,
            VrrpChecksum = VrrpChecksum ?? VrrpChecksumMode.PseudoHeader,
            AnnounceCount = AnnounceCount ?? 1,
            AnnounceSpacingMs = AnnounceSpacingMs ?? 0,
            AnnounceRefreshSeconds = AnnounceRefreshSeconds ?? 0,
        };

    // A statement holds key material: never render it.
    public override string ToString() => $"{Name} (line {Line})";
}
