using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Control;

/// <summary>What to watch (docs/carpd-protocol.md#watchnetwork): interfaces, for how long, optionally one vhid, a pass and known addresses.</summary>
public sealed record SegmentWatchRequest
{
    public required IReadOnlyList<string> Interfaces { get; init; }

    public required TimeSpan Duration { get; init; }

    public byte? Vhid { get; init; }

    /// <summary>The CARP pass to check HMACs with; sent to carpd as base64 of the key bytes, never returned.</summary>
    public CarpKey? Pass { get; init; }

    public IReadOnlyList<IPAddress> Addresses { get; init; } = [];

    /// <summary>The longest watch carpd accepts in one request.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromMinutes(5);

    /// <summary>The options of the watch model; refuses a request out of range with <see cref="CarpErrorCode.InvalidArgument"/>.</summary>
    public SegmentWatchOptions ToOptions()
    {
        if (Interfaces.Count == 0 || Interfaces.Any(string.IsNullOrWhiteSpace))
        {
            throw new CarpException(CarpErrorCode.InvalidArgument, "A segment watch needs at least one interface to listen on.");
        }

        if (Duration <= TimeSpan.Zero || Duration > MaxDuration)
        {
            throw new CarpException(CarpErrorCode.InvalidArgument,
                $"A segment watch lasts more than 0 and at most {MaxDuration.TotalSeconds:0} s, not {Duration.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture)} s.");
        }

        if (Vhid == 0)
        {
            throw new CarpException(CarpErrorCode.InvalidVhid, "vhid 0 is not valid: a vhid is 1 to 255.");
        }

        return new SegmentWatchOptions { Pass = Pass, Vhid = Vhid, Addresses = Addresses };
    }
}

/// <summary>The result of a watch: the entries at its end and the monitor's counters.</summary>
public sealed record SegmentWatchResult(IReadOnlyList<SegmentEntry> Entries, long Frames, long BadPackets, long IgnoredPackets, long HmacUnchecked);

/// <summary>watchNetwork params.</summary>
internal sealed class WatchNetworkParamsDto
{
    public IReadOnlyList<string>? Interfaces { get; init; }

    /// <summary>Seconds (fractions allowed).</summary>
    public double? Duration { get; init; }

    public int? Vhid { get; init; }

    public PassDto? Pass { get; init; }

    public IReadOnlyList<string>? Addresses { get; init; }
}

internal sealed class SegmentSenderDto
{
    public string? Address { get; init; }

    public string? Mac { get; init; }

    public DateTimeOffset FirstSeen { get; init; }

    public DateTimeOffset LastSeen { get; init; }

    public long Adverts { get; init; }

    public int AdvBase { get; init; }

    public int AdvSkew { get; init; }

    public int Demote { get; init; }

    public int Priority { get; init; }

    public double IntervalMs { get; init; }

    public bool Leaving { get; init; }
}

internal sealed class SegmentEntryDto
{
    public string? Interface { get; init; }

    public SegmentProtocol Protocol { get; init; }

    /// <summary>"inet" or "inet6".</summary>
    public string? Family { get; init; }

    public int Vhid { get; init; }

    public string? Master { get; init; }

    public string? Mac { get; init; }

    public IReadOnlyList<string>? Masters { get; init; }

    public IReadOnlyList<SegmentSenderDto>? Senders { get; init; }

    public int AdvBase { get; init; }

    public int AdvSkew { get; init; }

    public int Demote { get; init; }

    public int Priority { get; init; }

    public double IntervalMs { get; init; }

    public IReadOnlyList<string>? Addresses { get; init; }

    public DateTimeOffset LastSeen { get; init; }

    public DateTimeOffset At { get; init; }

    public long Adverts { get; init; }

    public long HmacFailures { get; init; }

    public long HmacVerified { get; init; }

    public SegmentFindings Findings { get; init; }
}

internal sealed class WatchNetworkResultDto
{
    public IReadOnlyList<SegmentEntryDto>? Entries { get; init; }

    public long Frames { get; init; }

    public long BadPackets { get; init; }

    public long IgnoredPackets { get; init; }

    public long HmacUnchecked { get; init; }
}

/// <summary>The watchNetwork method's mapping and its client (a connection of its own, waiting as long as the watch lasts).</summary>
public static class SegmentWatchControl
{
    internal static WatchNetworkParamsDto ToDto(SegmentWatchRequest request) => new()
    {
        Interfaces = request.Interfaces,
        Duration = request.Duration.TotalSeconds,
        Vhid = request.Vhid,
        Pass = request.Pass is { IsEmpty: false } pass ? new PassDto(pass) : null,
        Addresses = request.Addresses.Count == 0 ? null : [.. request.Addresses.Select(a => a.ToString())],
    };

    internal static SegmentWatchRequest FromDto(WatchNetworkParamsDto dto)
    {
        if (dto.Vhid is < 1 or > 255)
        {
            throw new CarpException(CarpErrorCode.InvalidVhid, $"vhid {dto.Vhid} is not valid: a vhid is 1 to 255.");
        }

        var addresses = new List<IPAddress>();
        foreach (var text in dto.Addresses ?? [])
        {
            addresses.Add(IPAddress.TryParse(text, out var address)
                ? address
                : throw new CarpException(CarpErrorCode.InvalidAddress, $"'{text}' is not an IPv4 or IPv6 address."));
        }

        return new SegmentWatchRequest
        {
            Interfaces = dto.Interfaces ?? [],
            Duration = dto.Duration is { } seconds && double.IsFinite(seconds) && seconds > 0 && seconds <= SegmentWatchRequest.MaxDuration.TotalSeconds
                ? TimeSpan.FromSeconds(seconds)
                : throw new CarpException(CarpErrorCode.InvalidArgument,
                    $"watchNetwork needs a \"duration\" in seconds, more than 0 and at most {SegmentWatchRequest.MaxDuration.TotalSeconds:0}."),
            Vhid = (byte?)dto.Vhid,
            Pass = dto.Pass?.ToKey(),
            Addresses = addresses,
        };
    }

    internal static WatchNetworkResultDto ToDto(SegmentWatchResult result) => new()
    {
        Entries = [.. result.Entries.Select(ToDto)],
        Frames = result.Frames,
        BadPackets = result.BadPackets,
        IgnoredPackets = result.IgnoredPackets,
        HmacUnchecked = result.HmacUnchecked,
    };

    internal static SegmentWatchResult FromDto(WatchNetworkResultDto dto) =>
        new([.. (dto.Entries ?? []).Select(FromDto)], dto.Frames, dto.BadPackets, dto.IgnoredPackets, dto.HmacUnchecked);

    private static SegmentEntryDto ToDto(SegmentEntry e) => new()
    {
        Interface = e.Interface,
        Protocol = e.Protocol,
        Family = e.Family == AddressFamily.InterNetworkV6 ? "inet6" : "inet",
        Vhid = e.Vhid,
        Master = e.Master.ToString(),
        Mac = Mac(e.Mac),
        Masters = [.. e.Masters.Select(a => a.ToString())],
        Senders = [.. e.Senders.Select(s => new SegmentSenderDto
        {
            Address = s.Address.ToString(),
            Mac = Mac(s.Mac),
            FirstSeen = s.FirstSeen,
            LastSeen = s.LastSeen,
            Adverts = s.Adverts,
            AdvBase = s.AdvBase,
            AdvSkew = s.AdvSkew,
            Demote = s.Demote,
            Priority = s.Priority,
            IntervalMs = s.Interval.TotalMilliseconds,
            Leaving = s.Leaving,
        })],
        AdvBase = e.AdvBase,
        AdvSkew = e.AdvSkew,
        Demote = e.Demote,
        Priority = e.Priority,
        IntervalMs = e.Interval.TotalMilliseconds,
        Addresses = [.. e.Addresses.Select(a => a.ToString())],
        LastSeen = e.LastSeen,
        At = e.At,
        Adverts = e.Adverts,
        HmacFailures = e.HmacFailures,
        HmacVerified = e.HmacVerified,
        Findings = e.Findings,
    };

    private static SegmentEntry FromDto(SegmentEntryDto d) => new()
    {
        Interface = d.Interface ?? string.Empty,
        Protocol = d.Protocol,
        Family = d.Family == "inet6" ? AddressFamily.InterNetworkV6 : AddressFamily.InterNetwork,
        Vhid = (byte)d.Vhid,
        Master = Address(d.Master),
        Mac = PhysicalAddress.TryParse(d.Mac, out var mac) ? mac : PhysicalAddress.None,
        Masters = [.. (d.Masters ?? []).Select(Address)],
        Senders = [.. (d.Senders ?? []).Select(s => new SegmentSender(Address(s.Address),
            PhysicalAddress.TryParse(s.Mac, out var m) ? m : PhysicalAddress.None, s.FirstSeen, s.LastSeen, s.Adverts,
            (byte)s.AdvBase, (byte)s.AdvSkew, (byte)s.Demote, (byte)s.Priority, TimeSpan.FromMilliseconds(s.IntervalMs), s.Leaving))],
        AdvBase = (byte)d.AdvBase,
        AdvSkew = (byte)d.AdvSkew,
        Demote = (byte)d.Demote,
        Priority = (byte)d.Priority,
        Interval = TimeSpan.FromMilliseconds(d.IntervalMs),
        Addresses = [.. (d.Addresses ?? []).Select(Address)],
        LastSeen = d.LastSeen,
        At = d.At,
        Adverts = d.Adverts,
        HmacFailures = d.HmacFailures,
        HmacVerified = d.HmacVerified,
        Findings = d.Findings,
    };

    private static string Mac(PhysicalAddress mac) => string.Join(":", mac.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    private static IPAddress Address(string? text) => IPAddress.TryParse(text, out var address) ? address : IPAddress.None;

    /// <summary>
    /// Asks carpd at <paramref name="socketPath"/> to watch (watchNetwork) and waits for its answer: the watch's duration
    /// and a margin. Refusals come back as the <see cref="CarpException"/> carpd raised.
    /// </summary>
    public static SegmentWatchResult Watch(string socketPath, SegmentWatchRequest request)
    {
        ArgumentException.ThrowIfNullOrEmpty(socketPath);
        ArgumentNullException.ThrowIfNull(request);
        using var connection = CarpdConnection.Open(Path.GetFullPath(socketPath), request.Duration + CarpdClient.DefaultTimeout);
        try
        {
            var result = connection.Exchange(1, CarpdProtocol.Methods.WatchNetwork,
                JsonRpc.Value(ToDto(request), CarpdJsonContext.Default.WatchNetworkParamsDto), CarpdJsonContext.Default.WatchNetworkResultDto, null);
            return result is null ? throw new CarpException(CarpErrorCode.ServiceError, "carpd returned no watch result.") : FromDto(result);
        }
        catch (StaleConnectionException ex)
        {
            throw CarpdConnection.Unreachable(socketPath, $"the connection failed ({ex.Message})", ex);
        }
    }
}
