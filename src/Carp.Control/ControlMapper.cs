using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carp.Control;

/// <summary>
/// Converts between the engine's types and the control protocol's DTOs. Everything read from the
/// socket is checked here and refused with the <see cref="CarpException"/> a local engine would throw,
/// stating the problem only (carpd adds its advice per code). A key only travels from client to
/// server, as a <see cref="PassDto"/> (<see cref="ToDto(VirtualHostConfig)"/>, <see cref="ToDto(InterfaceChange, string)"/>).
/// </summary>
internal static class ControlMapper
{
    // ---- server → client ----

    public static InterfaceStatusDto ToDto(VirtualHostStatus status) => new()
    {
        Name = status.Name,
        Vhid = status.Vhid,
        CarpDev = status.CarpDev,
        State = status.State,
        Addresses = [.. status.Addresses.Select(a => a.ToString())],
        AdvBase = status.AdvBase,
        AdvSkew = status.AdvSkew,
        EffectiveAdvSkew = status.AdvertisedAdvSkew,
        Demotion = status.DemoteCount,
        MacMode = status.MacMode,
        Profile = status.Profile,
        HasPass = status.HasPass,
        MasterSeen = status.MasterSeen?.ToString(),
        MasterSeenAdvBase = status.MasterSeenAdvBase,
        MasterSeenAdvSkew = status.MasterSeenAdvSkew,
        LastTransition = status.LastTransition,
        LastTransitionReason = status.LastTransitionReason,
        Transitions = status.Transitions,
        ForcedState = status.ForcedState,
        Groups = [.. status.Groups],
        Maintenance = status.Maintenance,
        Peer = status.Peer?.ToString(),
        Peer6 = status.Peer6?.ToString(),
        Protocol = status.Protocol,
        Priority = status.Protocol == VirtualHostProtocol.Vrrp ? status.Priority : null,
        Interval = status.Protocol == VirtualHostProtocol.Vrrp ? status.Interval : null,
        Preempt = status.Protocol == VirtualHostProtocol.Vrrp ? status.Preempt : null,
        Accept = status.Protocol == VirtualHostProtocol.Vrrp ? status.Accept : null,
        VrrpChecksum = status.Protocol == VirtualHostProtocol.Vrrp ? status.VrrpChecksum : null,
        MasterAdverInterval = status.MasterAdverInterval,
        MasterSeenPriority = status.MasterSeenPriority,
        BalancingSet = status.BalancingSet.Count == 0 ? null : [.. status.BalancingSet.Select(v => (int)v)],
        AnswersArp = status.AnswersArp ? true : null,
        AnnounceCount = status.AnnounceCount == 1 ? null : status.AnnounceCount,
        AnnounceSpacingMs = status.AnnounceSpacingMs == 0 ? null : status.AnnounceSpacingMs,
        AnnounceRefreshSeconds = status.AnnounceRefreshSeconds == 0 ? null : status.AnnounceRefreshSeconds,
        Announcements = status.Announcements,
        OtherMastersSeen = status.OtherMastersSeen,
        AdvertsSent = status.AdvertsSent,
        AdvertsReceived = status.AdvertsReceived,
        Trackers = status.Trackers.Count == 0 ? null : status.Trackers,
        TrackerDemotion = status.TrackerDemotion == 0 ? null : status.TrackerDemotion,
        TrackerFault = status.TrackerFault ? true : null,
        EffectivePriority = status.Protocol == VirtualHostProtocol.Vrrp ? status.AdvertisedPriority : null,
    };

    public static VirtualHostStatus FromDto(InterfaceStatusDto dto) => new()
    {
        Name = dto.Name,
        Vhid = ToByte(dto.Vhid),
        CarpDev = dto.CarpDev,
        State = dto.State,
        Addresses = [.. (dto.Addresses ?? []).Select(ParseReturnedAddress)],
        AdvBase = ToByte(dto.AdvBase),
        AdvSkew = ToByte(dto.AdvSkew),
        AdvertisedAdvSkew = ToByte(dto.EffectiveAdvSkew),
        DemoteCount = ToByte(dto.Demotion),
        MacMode = dto.MacMode,
        Profile = dto.Profile,
        HasPass = dto.HasPass,
        MasterSeen = ParseIp(dto.MasterSeen),
        MasterSeenAdvBase = dto.MasterSeenAdvBase is { } seenBase ? ToByte(seenBase) : null,
        MasterSeenAdvSkew = dto.MasterSeenAdvSkew is { } seenSkew ? ToByte(seenSkew) : null,
        LastTransition = dto.LastTransition,
        LastTransitionReason = dto.LastTransitionReason,
        Transitions = dto.Transitions,
        ForcedState = dto.ForcedState,
        Groups = [.. dto.Groups ?? []],
        Maintenance = dto.Maintenance,
        Peer = ParseIp(dto.Peer),
        Peer6 = ParseIp(dto.Peer6),
        Protocol = dto.Protocol,
        Priority = dto.Priority is { } priority ? ToByte(priority) : (byte)CarpLimits.PriorityDefault,
        Interval = dto.Interval is { } interval ? (ushort)Math.Clamp(interval, 0, ushort.MaxValue) : (ushort)CarpLimits.IntervalDefault,
        Preempt = dto.Preempt ?? true,
        Accept = dto.Accept ?? true,
        VrrpChecksum = dto.VrrpChecksum ?? VrrpChecksumMode.PseudoHeader,
        MasterAdverInterval = dto.MasterAdverInterval is { } mai ? (ushort)Math.Clamp(mai, 0, ushort.MaxValue) : null,
        MasterSeenPriority = dto.MasterSeenPriority is { } seenPriority ? ToByte(seenPriority) : null,
        BalancingSet = [.. (dto.BalancingSet ?? []).Select(ToByte)],
        AnswersArp = dto.AnswersArp ?? false,
        AnnounceCount = dto.AnnounceCount is { } count ? ToByte(count) : (byte)1,
        AnnounceSpacingMs = (ushort)Math.Clamp(dto.AnnounceSpacingMs ?? 0, 0, ushort.MaxValue),
        AnnounceRefreshSeconds = dto.AnnounceRefreshSeconds ?? 0,
        Announcements = dto.Announcements ?? 0,
        OtherMastersSeen = dto.OtherMastersSeen ?? 0,
        AdvertsSent = dto.AdvertsSent ?? 0,
        AdvertsReceived = dto.AdvertsReceived ?? 0,
        Trackers = dto.Trackers ?? [],
        TrackerDemotion = dto.TrackerDemotion ?? 0,
        TrackerFault = dto.TrackerFault ?? false,
        AdvertisedPriority = dto.EffectivePriority is { } effective ? ToByte(effective) : dto.Priority is { } configured ? ToByte(configured) : (byte)CarpLimits.PriorityDefault,
    };

    public static Dictionary<string, long> ToDto(CarpSysctls sysctls) =>
        SysctlCatalog.All.ToDictionary(d => d.Name, d => SysctlCatalog.Get(sysctls, d), StringComparer.Ordinal);

    public static CarpSysctls SysctlsFromDto(Dictionary<string, long> values)
    {
        var sysctls = CarpSysctls.Default;
        foreach (var (name, value) in values)
        {
            var descriptor = SysctlCatalog.Find(name);
            if (descriptor is null)
            {
                continue; // a knob of a newer carpd
            }

            sysctls = SysctlCatalog.With(sysctls, descriptor, value);
        }

        return sysctls;
    }

    /// <summary>The statistics DTO's key for <see cref="CarpStatisticsSnapshot.CaptureDrops"/>, beside the 16 carpstats names.</summary>
    public const string CaptureDropsKey = nameof(CarpStatisticsSnapshot.CaptureDrops);

    public static Dictionary<string, long> ToDto(CarpStatisticsSnapshot snapshot)
    {
        var dto = Enum.GetValues<CarpStatistic>().ToDictionary(s => s.ToString(), s => snapshot[s], StringComparer.Ordinal);
        dto[CaptureDropsKey] = snapshot.CaptureDrops;
        return dto;
    }

    public static CarpStatisticsSnapshot StatisticsFromDto(Dictionary<string, long> values)
    {
        var counters = new long[CarpStatistics.Count];
        long captureDrops = 0;
        foreach (var (name, value) in values)
        {
            if (Enum.TryParse<CarpStatistic>(name, ignoreCase: true, out var statistic) && Enum.IsDefined(statistic))
            {
                counters[(int)statistic] = value;
            }
            else if (string.Equals(name, CaptureDropsKey, StringComparison.OrdinalIgnoreCase))
            {
                captureDrops = value;
            }
        }

        return new CarpStatisticsSnapshot(counters, captureDrops);
    }

    public static EventDto? ToDto(CarpEvent carpEvent) => carpEvent switch
    {
        CarpStateChangedEvent e => new StateChangedEventDto
        {
            Timestamp = e.Timestamp, Interface = e.Interface, Vhid = e.Vhid,
            OldState = e.OldState, NewState = e.NewState, Reason = e.Reason, Peer = e.Peer?.ToString(),
        },
        CarpDemotionChangedEvent e => new DemotionChangedEventDto
        {
            Timestamp = e.Timestamp, Interface = e.Interface, Vhid = e.Vhid,
            OldAdvSkew = e.OldAdvSkew, NewAdvSkew = e.NewAdvSkew, OldDemotion = e.OldDemotion, NewDemotion = e.NewDemotion,
        },
        CarpBadPacketEvent e => new BadPacketEventDto
        {
            Timestamp = e.Timestamp, Interface = e.Interface, Vhid = e.Vhid,
            Counter = e.Counter, Detail = e.Detail, Source = e.Source?.ToString(),
        },
        CarpMaintenanceChangedEvent e => new MaintenanceChangedEventDto
        {
            Timestamp = e.Timestamp, Interface = e.Interface, Vhid = e.Vhid, Maintenance = e.Maintenance,
        },
        _ => null,
    };

    public static CarpEvent FromDto(EventDto dto) => dto switch
    {
        StateChangedEventDto e => new CarpStateChangedEvent
        {
            Timestamp = e.Timestamp, Interface = e.Interface, Vhid = ToByte(e.Vhid),
            OldState = e.OldState, NewState = e.NewState, Reason = e.Reason, Peer = ParseIp(e.Peer),
        },
        DemotionChangedEventDto e => new CarpDemotionChangedEvent
        {
            Timestamp = e.Timestamp, Interface = e.Interface, Vhid = ToByte(e.Vhid),
            OldAdvSkew = ToByte(e.OldAdvSkew), NewAdvSkew = ToByte(e.NewAdvSkew), OldDemotion = ToByte(e.OldDemotion), NewDemotion = ToByte(e.NewDemotion),
        },
        BadPacketEventDto e => new CarpBadPacketEvent
        {
            Timestamp = e.Timestamp, Interface = e.Interface, Vhid = ToByte(e.Vhid),
            Counter = e.Counter, Detail = e.Detail, Source = ParseIp(e.Source),
        },
        MaintenanceChangedEventDto e => new CarpMaintenanceChangedEvent
        {
            Timestamp = e.Timestamp, Interface = e.Interface, Vhid = ToByte(e.Vhid), Maintenance = e.Maintenance,
        },
        _ => throw new CarpException(CarpErrorCode.ServiceError, "carpd sent an event of an unknown type."),
    };

    // ---- client → server ----

    public static InterfaceConfigDto ToDto(VirtualHostConfig config) => new()
    {
        Name = config.Name,
        Vhid = config.Vhid,
        CarpDev = config.CarpDev,
        Addresses = [.. config.Addresses.Select(a => a.ToString())],
        AdvBase = config.AdvBase,
        AdvSkew = config.AdvSkew,
        Pass = config.Key.IsEmpty ? null : new PassDto(config.Key),
        MacMode = config.MacMode,
        Profile = config.Profile.Name,
        Groups = [.. config.Groups],
        Peer = config.Peer?.ToString(),
        Peer6 = config.Peer6?.ToString(),
        Maintenance = config.Maintenance ? true : null,
        Protocol = config.IsVrrp ? VirtualHostProtocol.Vrrp : null,
        Priority = config.IsVrrp ? config.Priority : null,
        Interval = config.IsVrrp ? config.Interval : null,
        Preempt = config.IsVrrp && !config.Preempt ? false : null,
        Accept = config.IsVrrp && !config.Accept ? false : null,
        VrrpChecksum = config.IsVrrp && config.VrrpChecksum != VrrpChecksumMode.PseudoHeader ? config.VrrpChecksum : null,
        AnnounceCount = config.AnnounceCount == 1 ? null : config.AnnounceCount,
        AnnounceSpacingMs = config.AnnounceSpacingMs == 0 ? null : config.AnnounceSpacingMs,
        AnnounceRefreshSeconds = config.AnnounceRefreshSeconds == 0 ? null : config.AnnounceRefreshSeconds,
    };

    public static VirtualHostConfig FromDto(InterfaceConfigDto dto) => new()
    {
        Name = Required(dto.Name, "name", CarpErrorCode.InvalidInterfaceName),
        Vhid = Vhid(dto.Vhid) ?? throw new CarpException(CarpErrorCode.InvalidVhid, $"vhid is required: a vhid is {CarpLimits.VhidRange}, unique on the carpdev."),
        CarpDev = Required(dto.CarpDev, "carpdev", CarpErrorCode.UnknownCarpDev),
        Addresses = ParseAddresses(dto.Addresses ?? []),
        AdvBase = AdvBase(dto.AdvBase) ?? 1,
        AdvSkew = AdvSkew(dto.AdvSkew) ?? 0,
        Key = dto.Pass?.ToKey() ?? CarpKey.Empty,
        MacMode = CheckedMacMode(dto.MacMode) ?? MacMode.Virtual,
        Profile = dto.Profile is null ? CompatibilityProfile.FreeBsd : FindProfile(dto.Profile),
        Groups = [.. dto.Groups ?? []],
        Peer = ParsePeer(dto.Peer, "peer"),
        Peer6 = ParsePeer(dto.Peer6, "peer6"),
        Maintenance = dto.Maintenance ?? false,
        Protocol = CheckedProtocol(dto.Protocol) ?? VirtualHostProtocol.Carp,
        Priority = Priority(dto.Priority) ?? CarpLimits.PriorityDefault,
        Interval = Interval(dto.Interval) ?? CarpLimits.IntervalDefault,
        Preempt = dto.Preempt ?? true,
        Accept = dto.Accept ?? true,
        VrrpChecksum = CheckedChecksum(dto.VrrpChecksum) ?? VrrpChecksumMode.PseudoHeader,
        AnnounceCount = AnnounceCount(dto.AnnounceCount) ?? 1,
        AnnounceSpacingMs = AnnounceSpacing(dto.AnnounceSpacingMs) ?? 0,
        AnnounceRefreshSeconds = AnnounceRefresh(dto.AnnounceRefreshSeconds) ?? 0,
    };

    public static InterfaceChangeDto ToDto(InterfaceChange change, string name) => new()
    {
        Name = name,
        Vhid = change.Vhid,
        AdvBase = change.AdvBase,
        AdvSkew = change.AdvSkew,
        Pass = change.Key is null ? null : new PassDto(change.Key),
        Addresses = change.Addresses?.Select(a => a.ToString()).ToList(),
        CarpDev = change.CarpDev,
        MacMode = change.MacMode,
        Profile = change.Profile,
        Groups = change.Groups?.ToList(),
        State = change.State,
        DemoteAdjustment = change.DemoteAdjustment,
        Maintenance = change.Maintenance,
        Peer = change.Peer?.ToString(),
        Peer6 = change.Peer6?.ToString(),
        Mcast = change.Mcast ? true : null,
        Mcast6 = change.Mcast6 ? true : null,
        Protocol = change.Protocol,
        Priority = change.Priority,
        Interval = change.Interval,
        Preempt = change.Preempt,
        Accept = change.Accept,
        VrrpChecksum = change.VrrpChecksum,
        AnnounceCount = change.AnnounceCount,
        AnnounceSpacingMs = change.AnnounceSpacingMs,
        AnnounceRefreshSeconds = change.AnnounceRefreshSeconds,
    };

    public static (string Name, InterfaceChange Change) FromDto(InterfaceChangeDto dto) =>
        (Required(dto.Name, "name", CarpErrorCode.InvalidInterfaceName),
         new InterfaceChange
         {
             Vhid = Vhid(dto.Vhid),
             AdvBase = AdvBase(dto.AdvBase),
             AdvSkew = AdvSkew(dto.AdvSkew),
             Key = dto.Pass?.ToKey(),
             Addresses = dto.Addresses is null ? null : ParseAddresses(dto.Addresses),
             CarpDev = dto.CarpDev,
             MacMode = CheckedMacMode(dto.MacMode),
             Profile = dto.Profile is null ? null : FindProfile(dto.Profile).Name,
             Groups = dto.Groups?.ToList(),
             State = dto.State is null or CarpState.Master or CarpState.Backup ? dto.State
                 : throw new CarpException(CarpErrorCode.InvalidArgument, $"state {dto.State} cannot be forced: only Master or Backup can."),
             DemoteAdjustment = dto.DemoteAdjustment,
             Maintenance = dto.Maintenance,
             Peer = ParsePeer(dto.Peer, "peer"),
             Peer6 = ParsePeer(dto.Peer6, "peer6"),
             Mcast = dto.Mcast ?? false,
             Mcast6 = dto.Mcast6 ?? false,
             Protocol = CheckedProtocol(dto.Protocol),
             Priority = Priority(dto.Priority),
             Interval = Interval(dto.Interval),
             Preempt = dto.Preempt,
             Accept = dto.Accept,
             VrrpChecksum = CheckedChecksum(dto.VrrpChecksum),
             AnnounceCount = AnnounceCount(dto.AnnounceCount),
             AnnounceSpacingMs = AnnounceSpacing(dto.AnnounceSpacingMs),
             AnnounceRefreshSeconds = AnnounceRefresh(dto.AnnounceRefreshSeconds),
         });

    // The numbers are ints in the DTOs so that a value outside a byte is a CARP refusal, not a JSON error;
    // the engine then checks the exact ranges (CarpLimits).
    private static byte? Vhid(int? value) => CheckedByte(value, CarpErrorCode.InvalidVhid, "vhid", CarpLimits.VhidRange);

    private static byte? AdvBase(int? value) => CheckedByte(value, CarpErrorCode.InvalidAdvBase, "advbase", CarpLimits.AdvBaseRange);

    private static byte? AnnounceCount(int? value) => value is null ? null
        : CarpLimits.IsValidAnnounceCount(value.Value) ? (byte)value.Value
        : throw new CarpException(CarpErrorCode.InvalidArgument, $"announceCount {value} is not valid: give {CarpLimits.AnnounceCountRange}.");

    private static ushort? AnnounceSpacing(int? value) => value is null ? null
        : CarpLimits.IsValidAnnounceSpacing(value.Value) ? (ushort)value.Value
        : throw new CarpException(CarpErrorCode.InvalidArgument, $"announceSpacingMs {value} is not valid: give 0 to {CarpLimits.AnnounceSpacingMaxMs}.");

    private static int? AnnounceRefresh(int? value) => value is null ? null
        : CarpLimits.IsValidAnnounceRefresh(value.Value) ? value.Value
        : throw new CarpException(CarpErrorCode.InvalidArgument, $"announceRefreshSeconds {value} is not valid: give 0 (off) to {CarpLimits.AnnounceRefreshMaxSeconds}.");

    private static byte? AdvSkew(int? value) => CheckedByte(value, CarpErrorCode.InvalidAdvSkew, "advskew", CarpLimits.AdvSkewRange);

    private static byte? Priority(int? value) => CheckedByte(value, CarpErrorCode.InvalidPriority, "priority", CarpLimits.PriorityRange);

    private static ushort? Interval(int? value) => value switch
    {
        null => null,
        >= 0 and <= ushort.MaxValue => (ushort)value.Value,
        _ => throw new CarpException(CarpErrorCode.InvalidInterval, $"interval {value} is out of range: interval is {CarpLimits.IntervalRange}."),
    };

    private static VirtualHostProtocol? CheckedProtocol(VirtualHostProtocol? protocol) => protocol is null || Enum.IsDefined(protocol.Value) ? protocol
        : throw new CarpException(CarpErrorCode.InvalidArgument, $"protocol {(int)protocol.Value} is not a protocol: the protocols are Carp and Vrrp.");

    private static VrrpChecksumMode? CheckedChecksum(VrrpChecksumMode? mode) => mode is null || Enum.IsDefined(mode.Value) ? mode
        : throw new CarpException(CarpErrorCode.InvalidArgument, $"vrrpChecksum {(int)mode.Value} is not a checksum mode: the modes are PseudoHeader and MessageOnly.");

    private static byte? CheckedByte(int? value, CarpErrorCode code, string field, string range) => value switch
    {
        null => null,
        >= 0 and <= 255 => (byte)value.Value,
        _ => throw new CarpException(code, $"{field} {value} is out of range: {field} is {range}."),
    };

    // The JSON enum converter also accepts numbers; only named values may reach the engine and the file.
    private static MacMode? CheckedMacMode(MacMode? mode) => mode is null || Enum.IsDefined(mode.Value) ? mode
        : throw new CarpException(CarpErrorCode.InvalidArgument, $"macmode {(int)mode.Value} is not a MAC mode: the modes are Virtual and Real.");

    private static List<CarpAddress> ParseAddresses(IReadOnlyList<string> texts)
    {
        var addresses = new List<CarpAddress>(texts.Count);
        foreach (var text in texts)
        {
            addresses.Add(CarpAddress.TryParse(text, out var address, out var error)
                ? address
                : throw new CarpException(CarpErrorCode.InvalidAddress, error));
        }

        return addresses;
    }

    private static IPAddress? ParsePeer(string? text, string field)
    {
        if (text is null)
        {
            return null;
        }

        return IPAddress.TryParse(text, out var address) && !text.Contains('/', StringComparison.Ordinal)
            ? address
            : throw new CarpException(CarpErrorCode.InvalidAddress, field == "peer"
                ? $"peer '{text}' is not an IPv4 address such as 192.0.2.2."
                : $"peer6 '{text}' is not an IPv6 address such as 2001:db8::2.");
    }

    private static CompatibilityProfile FindProfile(string name) =>
        CompatibilityProfile.Find(name) ?? throw CarpRefusals.UnknownProfile(name);

    private static string Required(string? value, string field, CarpErrorCode code) =>
        string.IsNullOrEmpty(value) ? throw new CarpException(code, $"{field} is required.") : value;

    private static byte ToByte(int value) => (byte)Math.Clamp(value, 0, 255);

    private static IPAddress? ParseIp(string? text) => text is not null && IPAddress.TryParse(text, out var ip) ? ip : null;

    private static CarpAddress ParseReturnedAddress(string text) =>
        CarpAddress.TryParse(text, out var address, out var error)
            ? address
            : throw new CarpException(CarpErrorCode.ServiceError, $"carpd returned an address this client cannot read: {error}");
}
