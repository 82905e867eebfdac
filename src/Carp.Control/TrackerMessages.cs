using System.Globalization;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carp.Control;

/// <summary>The control methods of health trackers (docs/carpd-protocol.md#gettrackers, #addtracker, #removetracker).</summary>
public static class TrackerMethods
{
    public const string GetTrackers = "getTrackers";
    public const string AddTracker = "addTracker";
    public const string RemoveTracker = "removeTracker";
}

/// <summary>
/// A tracker as addTracker takes it and getTrackers returns it (docs/carpd-protocol.md#addtracker). Exactly one of
/// <c>interface</c> and <c>group</c>; exactly one of <c>weight</c> and <c>fault: true</c>. The status members are only in answers.
/// </summary>
internal sealed class TrackerDto
{
    public string? Name { get; init; }

    /// <summary>script, link or file.</summary>
    public string? Kind { get; init; }

    public string? Target { get; init; }

    public string? Interface { get; init; }

    public string? Group { get; init; }

    /// <summary>Seconds (fractions allowed, 0.1 to 3600).</summary>
    public double? Interval { get; init; }

    public double? Timeout { get; init; }

    public int? Rise { get; init; }

    public int? Fall { get; init; }

    public int? Weight { get; init; }

    public bool? Fault { get; init; }

    public TrackerState? State { get; init; }

    public string? LastResult { get; init; }

    public DateTimeOffset? LastRun { get; init; }

    public int? Consecutive { get; init; }

    public int? Demotion { get; init; }

    public IReadOnlyList<string>? Interfaces { get; init; }
}

/// <summary>Tracker ↔ DTO.</summary>
internal static class TrackerMapper
{
    public static TrackerDto ToDto(TrackerConfig config) => new()
    {
        Name = config.Name,
        Kind = KindWord(config.Kind),
        Target = config.Target,
        Interface = config.Scope.Kind == TrackerScopeKind.Interface ? config.Scope.Name : null,
        Group = config.Scope.Kind == TrackerScopeKind.Group ? config.Scope.Name : null,
        Interval = config.Interval.TotalSeconds,
        Timeout = config.Timeout.TotalSeconds,
        Rise = config.Rise,
        Fall = config.Fall,
        Weight = config.Fault ? null : config.Weight,
        Fault = config.Fault ? true : null,
    };

    public static TrackerDto ToDto(TrackerStatus status)
    {
        var dto = ToDto(status.Config);
        return new TrackerDto
        {
            Name = dto.Name, Kind = dto.Kind, Target = dto.Target, Interface = dto.Interface, Group = dto.Group,
            Interval = dto.Interval, Timeout = dto.Timeout, Rise = dto.Rise, Fall = dto.Fall, Weight = dto.Weight, Fault = dto.Fault,
            State = status.State,
            LastResult = status.LastResult,
            LastRun = status.LastRun,
            Consecutive = status.Consecutive,
            Demotion = status.Demotion,
            Interfaces = status.Interfaces,
        };
    }

    /// <summary>The tracker a request describes; refuses what is missing or ambiguous with <see cref="CarpErrorCode.InvalidArgument"/>.</summary>
    public static TrackerConfig FromDto(TrackerDto dto)
    {
        if ((dto.Interface is null) == (dto.Group is null))
        {
            throw Invalid($"tracker {dto.Name} needs exactly one of \"interface\" and \"group\".");
        }

        if (dto.Fault == true && dto.Weight is not null)
        {
            throw Invalid($"tracker {dto.Name} has both a weight and fault: a failing tracker either demotes or faults.");
        }

        var defaults = new TrackerConfig { Name = "x", Kind = TrackerKind.Script, Target = "x", Scope = TrackerScope.Interface("x") };
        var config = new TrackerConfig
        {
            Name = dto.Name ?? string.Empty,
            Kind = ParseKind(dto.Kind),
            Target = dto.Target ?? string.Empty,
            Scope = dto.Interface is { } name ? TrackerScope.Interface(name) : TrackerScope.Group(dto.Group!),
            Interval = Seconds(dto.Interval) ?? defaults.Interval,
            Timeout = Seconds(dto.Timeout) ?? defaults.Timeout,
            Rise = dto.Rise ?? defaults.Rise,
            Fall = dto.Fall ?? defaults.Fall,
            Weight = dto.Weight ?? 0,
            Fault = dto.Fault ?? dto.Weight is null,
        };
        config.Validate();
        return config;
    }

    public static TrackerStatus FromDto(TrackerDto dto, bool status) => new()
    {
        Config = FromDto(dto),
        State = dto.State ?? TrackerState.Unknown,
        LastResult = dto.LastResult,
        LastRun = dto.LastRun,
        Consecutive = dto.Consecutive ?? 0,
        Demotion = dto.Demotion ?? 0,
        Interfaces = dto.Interfaces ?? [],
    };

    public static string KindWord(TrackerKind kind) => kind.ToString().ToLowerInvariant();

    public static TrackerKind ParseKind(string? word) => word?.ToLowerInvariant() switch
    {
        "script" => TrackerKind.Script,
        "link" => TrackerKind.Link,
        "file" => TrackerKind.File,
        _ => throw Invalid($"'{word}' is not a tracker kind: script, link or file."),
    };

    private static TimeSpan? Seconds(double? seconds) => seconds is { } s
        ? double.IsFinite(s) && s is >= 0 and <= 86400 ? TimeSpan.FromSeconds(s) : throw Invalid(string.Create(CultureInfo.InvariantCulture, $"{s} is not a number of seconds."))
        : null;

    private static CarpException Invalid(string message) => new(CarpErrorCode.InvalidArgument, message);
}
