using System.Text.Json.Serialization;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carp.Control;

// The JSON shapes of carpd's control protocol (docs/carpd-protocol.md). Property names are fixed by
// the protocol: never rename one. Numbers that users type (vhid, advbase, advskew) are ints here so
// that an out-of-range value gets a CARP error instead of a JSON error.

/// <summary>One virtual host as getInterfaces/createInterface/setInterface return it. Carries no secret.</summary>
internal sealed class InterfaceStatusDto
{
    public string Name { get; init; } = string.Empty;

    public int Vhid { get; init; }

    [JsonPropertyName("carpdev")]
    public string CarpDev { get; init; } = string.Empty;

    public CarpState State { get; init; }

    public IReadOnlyList<string> Addresses { get; init; } = [];

    [JsonPropertyName("advbase")]
    public int AdvBase { get; init; }

    [JsonPropertyName("advskew")]
    public int AdvSkew { get; init; }

    [JsonPropertyName("effectiveAdvskew")]
    public int EffectiveAdvSkew { get; init; }

    public int Demotion { get; init; }

    [JsonPropertyName("macmode")]
    public MacMode MacMode { get; init; }

    public string Profile { get; init; } = string.Empty;

    public bool HasPass { get; init; }

    public string? MasterSeen { get; init; }

    [JsonPropertyName("masterSeenAdvbase")]
    public int? MasterSeenAdvBase { get; init; }

    [JsonPropertyName("masterSeenAdvskew")]
    public int? MasterSeenAdvSkew { get; init; }

    public DateTimeOffset? LastTransition { get; init; }

    public TransitionReason? LastTransitionReason { get; init; }

    public long Transitions { get; init; }

    public CarpState? ForcedState { get; init; }

    /// <summary>IPv4 unicast peer (absent: multicast).</summary>
    public string? Peer { get; init; }

    /// <summary>IPv6 unicast peer (absent: multicast).</summary>
    public string? Peer6 { get; init; }

    public IReadOnlyList<string> Groups { get; init; } = [];

    /// <summary>In maintenance mode (docs/protocol.md#maintenance).</summary>
    public bool Maintenance { get; init; }

    /// <summary>Carp or Vrrp (docs/protocol.md#vrrp).</summary>
    public VirtualHostProtocol Protocol { get; init; }

    /// <summary>VRRP: priority, 1 to 254 (absent for CARP, like the four after it).</summary>
    public int? Priority { get; init; }

    /// <summary>VRRP: advertisement interval in centiseconds.</summary>
    public int? Interval { get; init; }

    /// <summary>VRRP: Preempt_Mode.</summary>
    public bool? Preempt { get; init; }

    /// <summary>VRRP: Accept_Mode (docs/protocol.md#vrrp-accept-mode); null: on.</summary>
    public bool? Accept { get; init; }

    /// <summary>VRRP: PseudoHeader or MessageOnly (docs/protocol.md#vrrp-checksum).</summary>
    public VrrpChecksumMode? VrrpChecksum { get; init; }

    /// <summary>VRRP: the master's interval a BACKUP runs on (centiseconds).</summary>
    public int? MasterAdverInterval { get; init; }

    /// <summary>VRRP: the priority of the last advert heard (0: its sender left).</summary>
    public int? MasterSeenPriority { get; init; }

    /// <summary>The vhids on the carpdev sharing an IPv4 address with this one, itself included (docs/protocol.md#arp-balancing); omitted when none.</summary>
    public IReadOnlyList<int>? BalancingSet { get; init; }

    /// <summary>true when this engine answers ARP for this vhid (arpbalance on, in a set, MASTER); omitted otherwise.</summary>
    public bool? AnswersArp { get; init; }

    /// <summary>Announcements in a new MASTER's first burst (docs/protocol.md#announcements); omitted: 1.</summary>
    public int? AnnounceCount { get; init; }

    /// <summary>Milliseconds between the announcements of a burst; omitted: 0.</summary>
    public int? AnnounceSpacingMs { get; init; }

    /// <summary>Seconds between periodic re-announcements; omitted: 0 (off).</summary>
    public int? AnnounceRefreshSeconds { get; init; }

    /// <summary>Announcements sent since the interface was created.</summary>
    public long? Announcements { get; init; }

    /// <summary>Adverts heard, as MASTER, from another master that had to yield (docs/protocol.md#split-brain-heal).</summary>
    public long? OtherMastersSeen { get; init; }

    /// <summary>Adverts of this virtual host sent since it was created.</summary>
    public long? AdvertsSent { get; init; }

    /// <summary>Adverts for this virtual host received and accepted since it was created.</summary>
    public long? AdvertsReceived { get; init; }

    /// <summary>The health trackers covering it (docs/protocol.md#trackers); omitted when none.</summary>
    public IReadOnlyList<string>? Trackers { get; init; }

    /// <summary>The demotion its failing trackers add; omitted when 0.</summary>
    public int? TrackerDemotion { get; init; }

    /// <summary>true while a failing tracker with fault holds it in INIT; omitted otherwise.</summary>
    public bool? TrackerFault { get; init; }

    /// <summary>VRRP: the priority advertised after tracker demotion; omitted for CARP.</summary>
    public int? EffectivePriority { get; init; }
}

/// <summary>createInterface params: a <see cref="VirtualHostConfig"/>; <c>pass</c> is base64 of the key bytes (<see cref="PassDto"/>).</summary>
internal sealed class InterfaceConfigDto
{
    public string? Name { get; init; }

    public int? Vhid { get; init; }

    [JsonPropertyName("carpdev")]
    public string? CarpDev { get; init; }

    public IReadOnlyList<string>? Addresses { get; init; }

    [JsonPropertyName("advbase")]
    public int? AdvBase { get; init; }

    [JsonPropertyName("advskew")]
    public int? AdvSkew { get; init; }

    public PassDto? Pass { get; init; }

    [JsonPropertyName("macmode")]
    public MacMode? MacMode { get; init; }

    public string? Profile { get; init; }

    public IReadOnlyList<string>? Groups { get; init; }

    public string? Peer { get; init; }

    public string? Peer6 { get; init; }

    public bool? Maintenance { get; init; }

    /// <summary>Carp (default) or Vrrp; fixed at creation.</summary>
    public VirtualHostProtocol? Protocol { get; init; }

    public int? Priority { get; init; }

    public int? Interval { get; init; }

    public bool? Preempt { get; init; }

    public bool? Accept { get; init; }

    public VrrpChecksumMode? VrrpChecksum { get; init; }

    /// <summary>Announcements in a new MASTER's first burst, 1 to 100 (docs/protocol.md#announcements).</summary>
    public int? AnnounceCount { get; init; }

    /// <summary>Milliseconds between the announcements of a burst, 0 to 10000.</summary>
    public int? AnnounceSpacingMs { get; init; }

    /// <summary>Seconds between a MASTER's periodic re-announcements, 0 (off) to 86400.</summary>
    public int? AnnounceRefreshSeconds { get; init; }
}

/// <summary>setInterface params: the interface's name and the <see cref="InterfaceChange"/>; absent = unchanged.</summary>
internal sealed class InterfaceChangeDto
{
    public string? Name { get; init; }

    public int? Vhid { get; init; }

    [JsonPropertyName("advbase")]
    public int? AdvBase { get; init; }

    [JsonPropertyName("advskew")]
    public int? AdvSkew { get; init; }

    public PassDto? Pass { get; init; }

    public IReadOnlyList<string>? Addresses { get; init; }

    [JsonPropertyName("carpdev")]
    public string? CarpDev { get; init; }

    [JsonPropertyName("macmode")]
    public MacMode? MacMode { get; init; }

    public string? Profile { get; init; }

    public IReadOnlyList<string>? Groups { get; init; }

    public CarpState? State { get; init; }

    /// <summary>IPv4 unicast peer (FreeBSD <c>peer</c>); absent = unchanged.</summary>
    public string? Peer { get; init; }

    /// <summary>IPv6 unicast peer (FreeBSD <c>peer6</c>); absent = unchanged.</summary>
    public string? Peer6 { get; init; }

    /// <summary>true: IPv4 adverts go to 224.0.0.18 again (FreeBSD <c>mcast</c>).</summary>
    public bool? Mcast { get; init; }

    /// <summary>true: IPv6 adverts go to ff02::12 again (FreeBSD <c>mcast6</c>).</summary>
    public bool? Mcast6 { get; init; }

    public int? DemoteAdjustment { get; init; }

    /// <summary>true suspends (maintenance mode on), false resumes; saved in carpd's configuration.</summary>
    public bool? Maintenance { get; init; }

    /// <summary>Only to check: a protocol other than the interface's is refused (ProtocolFixed).</summary>
    public VirtualHostProtocol? Protocol { get; init; }

    public int? Priority { get; init; }

    public int? Interval { get; init; }

    public bool? Preempt { get; init; }

    public bool? Accept { get; init; }

    public VrrpChecksumMode? VrrpChecksum { get; init; }

    /// <summary>Announcements in a new MASTER's first burst, 1 to 100 (docs/protocol.md#announcements).</summary>
    public int? AnnounceCount { get; init; }

    /// <summary>Milliseconds between the announcements of a burst, 0 to 10000.</summary>
    public int? AnnounceSpacingMs { get; init; }

    /// <summary>Seconds between a MASTER's periodic re-announcements, 0 (off) to 86400.</summary>
    public int? AnnounceRefreshSeconds { get; init; }
}

/// <summary>removeInterface params.</summary>
internal sealed class NameParamsDto
{
    public string? Name { get; init; }
}

/// <summary>testPass params: the interface and the pass to compare (absent = no pass), base64 like createInterface's.</summary>
internal sealed class TestPassParamsDto
{
    public string? Name { get; init; }

    public PassDto? Pass { get; init; }
}

/// <summary>setSysctl params: short or full name.</summary>
internal sealed class SetSysctlParamsDto
{
    public string? Name { get; init; }

    public long? Value { get; init; }
}

/// <summary>version result.</summary>
internal sealed class VersionDto
{
    public string Server { get; init; } = "carpd";

    public string Version { get; init; } = string.Empty;

    public int Protocol { get; init; }
}

/// <summary>error.data of every error carpd returns.</summary>
internal sealed class ErrorDataDto
{
    public string Code { get; init; } = nameof(CarpErrorCode.ServiceError);

    public string? RecommendedAction { get; init; }
}

/// <summary>params of an <c>event</c> notification; <c>type</c> tells which.</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(StateChangedEventDto), "stateChanged")]
[JsonDerivedType(typeof(DemotionChangedEventDto), "demotionChanged")]
[JsonDerivedType(typeof(BadPacketEventDto), "badPacket")]
[JsonDerivedType(typeof(MaintenanceChangedEventDto), "maintenanceChanged")]
internal abstract class EventDto
{
    public DateTimeOffset Timestamp { get; init; }

    public string Interface { get; init; } = string.Empty;

    public int Vhid { get; init; }
}

internal sealed class StateChangedEventDto : EventDto
{
    public CarpState OldState { get; init; }

    public CarpState NewState { get; init; }

    public TransitionReason Reason { get; init; }

    public string? Peer { get; init; }
}

internal sealed class DemotionChangedEventDto : EventDto
{
    [JsonPropertyName("oldAdvskew")]
    public int OldAdvSkew { get; init; }

    [JsonPropertyName("newAdvskew")]
    public int NewAdvSkew { get; init; }

    public int OldDemotion { get; init; }

    public int NewDemotion { get; init; }
}

internal sealed class BadPacketEventDto : EventDto
{
    public CarpStatistic Counter { get; init; }

    public string Detail { get; init; } = string.Empty;

    public string? Source { get; init; }
}

internal sealed class MaintenanceChangedEventDto : EventDto
{
    public bool Maintenance { get; init; }
}
