using Carp.Engine.Core;

namespace Carpd.Notify;

/// <summary>
/// Which <see cref="NotifyState"/> a state change is (docs/protocol.md#notify-states): the engine's MASTER and BACKUP
/// as they are; INIT is <see cref="NotifyState.Fault"/> when a failure caused it, else <see cref="NotifyState.Init"/>
/// (removed, reconfigured, no address configured, <c>allow</c> 0).
/// </summary>
public static class NotifyStates
{
    /// <summary>
    /// The transition reasons into INIT that count as a fault: the carpdev went down, it lost its last source address
    /// of a family the vhost carries, or a health tracker failed (TrackerFault, by name so that a build without trackers
    /// needs no such member).
    /// </summary>
    public static IReadOnlySet<string> FaultReasons { get; } = new HashSet<string>(StringComparer.Ordinal)
    {
        nameof(TransitionReason.CarpDevDown),
        nameof(TransitionReason.NoSourceAddress),
        "TrackerFault",
    };

    public static NotifyState Of(CarpState state, TransitionReason reason) => state switch
    {
        CarpState.Master => NotifyState.Master,
        CarpState.Backup => NotifyState.Backup,
        _ => FaultReasons.Contains(reason.ToString()) ? NotifyState.Fault : NotifyState.Init,
    };

    /// <summary>The word of the configuration file, the hook's arguments and the event stream: master, backup, init, fault, any.</summary>
    public static string Word(NotifyState state) => state switch
    {
        NotifyState.Master => "master",
        NotifyState.Backup => "backup",
        NotifyState.Init => "init",
        NotifyState.Fault => "fault",
        _ => "any",
    };

    public static NotifyState? Parse(string word) => word switch
    {
        "master" => NotifyState.Master,
        "backup" => NotifyState.Backup,
        "init" => NotifyState.Init,
        "fault" => NotifyState.Fault,
        "any" => NotifyState.Any,
        _ => null,
    };
}
