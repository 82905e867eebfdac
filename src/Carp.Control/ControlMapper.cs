using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carp.Control;

/// <summary>
/// Converts between the engine's types and the protocol's JSON shapes. Everything read from the wire
/// is checked here and refused with the <see cref="CarpException"/> a local engine would throw.
/// A key only travels from client to server (<see cref="ToDto(VirtualHostConfig)"/>, <see cref="ToDto(InterfaceChange, string)"/>).
/// </summary>
internal static class WireMapper
{
    private const string AddressAction = "Write addresses as 192.0.2.1/24 or 2001:db8::1/64.";

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
        LastTransition = status.LastTransition,
        LastTransitionReason = status.LastTransitionReason,
        Transitions = status.Transitions,
        ForcedState = status.ForcedState,
        Groups = [.. status.Groups],
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
        LastTransition = dto.LastTransition,
        LastTransitionReason = dto.LastTransitionReason,
        Transitions = dto.Transitions,
        ForcedState = dto.ForcedState,
        Groups = [.. dto.Groups ?? []],
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

    public static Dictionary<string, long> ToDto(CarpStatisticsSnapshot snapshot) =>
        Enum.GetValues<CarpStatistic>().ToDictionary(s => s.ToString(), s => snapshot[s], StringComparer.Ordinal);

    public static CarpStatisticsSnapshot StatisticsFromDto(Dictionary<string, long> values)
    {
        var counters = new long[CarpStatistics.Count];
        foreach (var (name, value) in values)
        {
            if (Enum.TryParse<CarpStatistic>(name, ignoreCase: true, out var statistic) && Enum.IsDefined(statistic))
            {
                counters[(int)statistic] = value;
            }
        }

        return new CarpStatisticsSnapshot(counters);
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
        Pass = config.Key.IsEmpty ? null : Convert.ToBase64String(config.Key.Bytes),
        MacMode = config.MacMode,
        Profile = config.Profile.Name,
        Groups = [.. config.Groups],
        Peer = config.Peer?.ToString(),
        Peer6 = config.Peer6?.ToString(),
    };

    public static VirtualHostConfig FromDto(InterfaceConfigDto dto) => new()
    {
        Name = Required(dto.Name, "name", CarpErrorCode.InvalidInterfaceName, "Name the interface, e.g. \"name\": \"carp1\"."),
        Vhid = dto.Vhid is { } vhid ? CheckedByte(vhid, "vhid", CarpErrorCode.InvalidVhid, "Use a vhid from 1 to 255, unique on the carpdev.")
            : throw new CarpException(CarpErrorCode.InvalidVhid, "vhid is required." + " " + "Give a vhid from 1 to 255, unique on the carpdev."),
        CarpDev = Required(dto.CarpDev, "carpdev", CarpErrorCode.UnknownCarpDev, "Name the interface the virtual host runs on, e.g. \"carpdev\": \"eth0\"."),
        Addresses = ParseAddresses(dto.Addresses ?? []),
        AdvBase = dto.AdvBase is { } advBase ? CheckedByte(advBase, "advbase", CarpErrorCode.InvalidAdvBase, "Use an advbase from 1 to 255 seconds.") : (byte)1,
        AdvSkew = dto.AdvSkew is { } advSkew ? CheckedByte(advSkew, "advskew", CarpErrorCode.InvalidAdvSkew, "Use an advskew from 0 to 254.") : (byte)0,
        Key = DecodeKey(dto.Pass),
        MacMode = CheckedMacMode(dto.MacMode) ?? MacMode.Virtual,
        Profile = dto.Profile is null ? CompatibilityProfile.FreeBsd : FindProfile(dto.Profile),
        Groups = [.. dto.Groups ?? []],
        Peer = ParsePeer(dto.Peer, "peer"),
        Peer6 = ParsePeer(dto.Peer6, "peer6"),
    };

    public static InterfaceChangeDto ToDto(InterfaceChange change, string name) => new()
    {
        Name = name,
        Vhid = change.Vhid,
        AdvBase = change.AdvBase,
        AdvSkew = change.AdvSkew,
        Pass = change.Key is null ? null : Convert.ToBase64String(change.Key.Bytes),
        Addresses = change.Addresses?.Select(a => a.ToString()).ToList(),
        CarpDev = change.CarpDev,
        MacMode = change.MacMode,
        Profile = change.Profile,
        Groups = change.Groups?.ToList(),
        State = change.State,
        DemoteAdjustment = change.DemoteAdjustment,
    };

    public static (string Name, InterfaceChange Change) FromDto(InterfaceChangeDto dto) =>
        (Required(dto.Name, "name", CarpErrorCode.InvalidInterfaceName, "Name the interface to change, e.g. \"name\": \"carp1\"."),
         new InterfaceChange
         {
             Vhid = dto.Vhid is { } vhid ? CheckedByte(vhid, "vhid", CarpErrorCode.InvalidVhid, "Use a vhid from 1 to 255, unique on the carpdev.") : null,
             AdvBase = dto.AdvBase is { } advBase ? CheckedByte(advBase, "advbase", CarpErrorCode.InvalidAdvBase, "Use an advbase from 1 to 255 seconds.") : null,
             AdvSkew = dto.AdvSkew is { } advSkew ? CheckedByte(advSkew, "advskew", CarpErrorCode.InvalidAdvSkew, "Use an advskew from 0 to 254.") : null,
             Key = dto.Pass is null ? null : DecodeKey(dto.Pass),
             Addresses = dto.Addresses is null ? null : ParseAddresses(dto.Addresses),
             CarpDev = dto.CarpDev,
             MacMode = CheckedMacMode(dto.MacMode),
             Profile = dto.Profile is null ? null : FindProfile(dto.Profile).Name,
             Groups = dto.Groups?.ToList(),
             State = dto.State is null or CarpState.Master or CarpState.Backup ? dto.State
                 : throw new CarpException(CarpErrorCode.InvalidArgument, $"state {dto.State} cannot be forced." + " " + "Force \"Master\" or \"Backup\"."),
             DemoteAdjustment = dto.DemoteAdjustment,
         });

    // The JSON enum converter also accepts numbers; only named values may reach the engine and the file.
    private static MacMode? CheckedMacMode(MacMode? mode) => mode is null || Enum.IsDefined(mode.Value) ? mode
        : throw new CarpException(CarpErrorCode.InvalidArgument, $"macmode {(int)mode.Value} is not a MAC mode." + " " + "Use \"Virtual\" or \"Real\".");

    /// <summary>base64 of the key bytes; an empty string means "no pass". The pass is never put in an error.</summary>
    public static CarpKey DecodeKey(string? base64)
    {
        if (string.IsNullOrEmpty(base64))
        {
            return CarpKey.Empty;
        }

        var buffer = new byte[(base64.Length * 3 / 4) + 3];
        try
        {
            if (!Convert.TryFromBase64String(base64, buffer, out var length))
            {
                throw new CarpException(CarpErrorCode.InvalidPass, "pass is not valid base64." + " " + "Send base64 of the key bytes in \"pass\".");
            }

            if (length > CarpKey.MaxRawKeyBytes)
            {
                throw new CarpException(CarpErrorCode.InvalidPass, $"pass is longer than {CarpKey.MaxRawKeyBytes} bytes." + " " + $"A CARP key has at most {CarpKey.MaxRawKeyBytes} bytes (passphrases at most {CarpKey.MaxPassphraseBytes}).");
            }

            return CarpKey.FromRawKey(buffer.AsSpan(0, length));
        }
        finally
        {
            Array.Clear(buffer);
        }
    }

    private static List<CarpAddress> ParseAddresses(IReadOnlyList<string> texts)
    {
        var addresses = new List<CarpAddress>(texts.Count);
        foreach (var text in texts)
        {
            if (!CarpAddress.TryParse(text, out var address, out var error))
            {
                throw new CarpException(CarpErrorCode.InvalidAddress, error + " " + AddressAction);
            }

            addresses.Add(address);
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
            : throw new CarpException(CarpErrorCode.InvalidAddress, $"{field} '{text}' is not an IP address" +
                (field == "peer" ? " (an IPv4 address, e.g. 192.0.2.2)." : " (an IPv6 address, e.g. 2001:db8::2)."));
    }

    private static CompatibilityProfile FindProfile(string name) =>
        CompatibilityProfile.Find(name) ?? throw new CarpException(CarpErrorCode.InvalidArgument,
            $"There is no profile '{name}'." + " " + "Use FreeBSD, OpenBSD, Classic or ucarp.");

    private static string Required(string? value, string field, CarpErrorCode code, string action) =>
        string.IsNullOrEmpty(value) ? throw new CarpException(code, $"{field} is required. {action}") : value;

    private static byte CheckedByte(int value, string field, CarpErrorCode code, string action) =>
        value is >= 0 and <= 255 ? (byte)value : throw new CarpException(code, $"{field} {value} is out of range. {action}");

    private static byte ToByte(int value) => (byte)Math.Clamp(value, 0, 255);

    private static IPAddress? ParseIp(string? text) => text is not null && IPAddress.TryParse(text, out var ip) ? ip : null;

    private static CarpAddress ParseReturnedAddress(string text) =>
        CarpAddress.TryParse(text, out var address, out var error)
            ? address
            : throw new CarpException(CarpErrorCode.ServiceError, $"carpd returned an address this client cannot read: {error}");
}
