namespace Carp.Control;

/// <summary>
/// The whole state of a carpd, as <c>getState</c> returns it and <c>carpd --status --json</c> prints it
/// (docs/carpd-protocol.md#getstate). Carries no secret: interfaces say only <c>hasPass</c>.
/// </summary>
internal sealed record CarpdStateDto
{
    public string Server { get; init; } = "carpd";

    public string Version { get; init; } = string.Empty;

    public int Protocol { get; init; }

    /// <summary>When the state was read.</summary>
    public DateTimeOffset Timestamp { get; init; }

    /// <summary>The daemon itself (process, files, metrics listener); absent when the engine is not served by carpd.</summary>
    public CarpdDaemonStateDto? Daemon { get; init; }

    /// <summary>Every interface, as <c>getInterfaces</c> returns them.</summary>
    public IReadOnlyList<InterfaceStatusDto> Interfaces { get; init; } = [];

    /// <summary>The names of the interfaces in maintenance mode.</summary>
    public IReadOnlyList<string> Maintenance { get; init; } = [];

    /// <summary>Interface name → transition reason → state changes since carpd started.</summary>
    public IReadOnlyDictionary<string, Dictionary<string, long>>? TransitionsByReason { get; init; }

    /// <summary>As <c>getSysctls</c>.</summary>
    public Dictionary<string, long> Sysctls { get; init; } = [];

    /// <summary>As <c>getStatistics</c>.</summary>
    public Dictionary<string, long> Statistics { get; init; } = [];
}

/// <summary>carpd's own part of <see cref="CarpdStateDto"/>.</summary>
internal sealed record CarpdDaemonStateDto
{
    public int Pid { get; init; }

    public DateTimeOffset StartedAt { get; init; }

    /// <summary>--config; absent when carpd runs without a configuration file.</summary>
    public string? ConfigPath { get; init; }

    public string? Socket { get; init; }

    /// <summary>true with --simulate (an in-memory LAN).</summary>
    public bool Simulated { get; init; }

    /// <summary>Where /metrics is served (e.g. <c>127.0.0.1:9651</c>); absent when carpd serves no metrics.</summary>
    public string? MetricsListen { get; init; }
}
