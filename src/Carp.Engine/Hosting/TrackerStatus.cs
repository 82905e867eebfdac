using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>A tracker's verdict (docs/protocol.md#trackers).</summary>
public enum TrackerState
{
    /// <summary>Not yet rise successes or fall failures in a row since it started: no effect.</summary>
    Unknown,
    Up,
    /// <summary>Failing: its weight demotes, or its fault holds in INIT, the interfaces of its scope.</summary>
    Down,
}

/// <summary>One tracker at one moment: its configuration, its verdict and what it does now.</summary>
public sealed record TrackerStatus
{
    public required TrackerConfig Config { get; init; }

    public TrackerState State { get; init; }

    /// <summary>The last probe's outcome in words ("exit 0", "exit 1", "timed out after 1 s: killed", "value 3", "link down").</summary>
    public string? LastResult { get; init; }

    public DateTimeOffset? LastRun { get; init; }

    /// <summary>How many probes in a row had the last probe's outcome (success or failure).</summary>
    public int Consecutive { get; init; }

    /// <summary>The demotion it adds now (0 unless Down; File: the weight × the file's number).</summary>
    public int Demotion { get; init; }

    /// <summary>The carp interfaces it covers now, in name order.</summary>
    public IReadOnlyList<string> Interfaces { get; init; } = [];

    public string Name => Config.Name;

    public override string ToString() => $"{Config.Name}: {State} ({LastResult ?? "not run yet"})";
}

/// <summary>One probe's outcome: <see cref="Success"/>, and for a failure the multiplier of its weight (File: the number read).</summary>
public readonly record struct TrackerProbeResult(bool Success, int Multiplier, string Detail)
{
    public static TrackerProbeResult Passed(string detail) => new(true, 0, detail);

    public static TrackerProbeResult Failed(string detail, int multiplier = 1) => new(false, Math.Max(1, multiplier), detail);
}

/// <summary>Runs the probes of trackers (docs/protocol.md#trackers); never on the engine thread. Must not throw for a failing target.</summary>
public interface ITrackerProbe
{
    Task<TrackerProbeResult> ProbeAsync(TrackerConfig config, CancellationToken cancellationToken);
}

/// <summary>What an engine offers for trackers; <see cref="CarpService"/> and carpd's client implement it beside <see cref="ICarpService"/>.</summary>
public interface ICarpTrackers
{
    IReadOnlyList<TrackerStatus> GetTrackers();

    /// <summary>Starts a tracker (Unknown until its first rise or fall). Refuses an existing name (<see cref="CarpErrorCode.TrackerExists"/>).</summary>
    TrackerStatus AddTracker(TrackerConfig config);

    /// <summary>Stops a tracker and undoes what it did (<see cref="CarpErrorCode.TrackerNotFound"/> when there is none).</summary>
    void RemoveTracker(string name);
}
