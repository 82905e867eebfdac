using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

public sealed record CarpServiceOptions
{
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public CarpSysctls Sysctls { get; init; } = CarpSysctls.Default;

    /// <summary>The loop thread's wake-up and priority; the Linux wire's factory sets the Linux one.</summary>
    public IEnginePlatform Platform { get; init; } = PortableEnginePlatform.Instance;

    /// <summary>
    /// Called on the engine's loop thread on every turn, at least every <see cref="LoopTurnInterval"/>: proof that the
    /// protocol runs, for a supervisor such as systemd's watchdog. Must return at once.
    /// </summary>
    public Action? LoopTurn { get; init; }

    /// <summary>The longest the loop sleeps without a turn, deadline or not (at most a second).</summary>
    public TimeSpan LoopTurnInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How much earlier than its deadline a periodic advert may leave so that the adverts due close together go out in
    /// one timer pass and one batch (docs/protocol.md#advert-coalescing); at most <see cref="CarpNode.MaxAdvertCoalescing"/>.
    /// </summary>
    public TimeSpan AdvertCoalescing { get; init; } = CarpNode.DefaultAdvertCoalescing;

    /// <summary>
    /// Rehearse takeovers on a private node of the engine thread as the service starts (<see cref="TakeoverRehearsal"/>), so
    /// that its first real takeover is as fast as a later one; a few milliseconds at start. The Linux wire's factory sets it.
    /// </summary>
    public bool RehearseTakeover { get; init; }

    /// <summary>
    /// How often a BACKUP with a unicast peer announces its carpdev's own address from the carpdev's MAC, so that switches
    /// keep that MAC while the node is silent (docs/protocol.md#unicast-backup-mac); zero or less: never.
    /// </summary>
    public TimeSpan BackupMacRefresh { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Runs the probes of health trackers (docs/protocol.md#trackers); the Linux wire's factory sets one that kills a command's process group.</summary>
    public ITrackerProbe TrackerProbe { get; init; } = PortableTrackerProbe.Instance;

    /// <summary>Receives log lines already filtered by the <c>log</c> sysctl; never contains a pass.</summary>
    public Action<CarpLogLevel, string>? Log { get; init; }
}

public enum CarpLogLevel
{
    Debug,
    Info,
    Warning,
    Error,
}
