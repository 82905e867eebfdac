namespace Carp.Engine.Core;

/// <summary>Why a virtual host changed state; shown in status and carried by state-change events.</summary>
public enum TransitionReason
{
    /// <summary>Configured, carpdev up, allowed: INIT → BACKUP.</summary>
    Started,
    /// <summary>The master-down timer of an address family expired.</summary>
    MasterDown,
    /// <summary>An advert arrived whose sender will obviously time out (e.g. a bow-out, advbase 255/advskew 255).</summary>
    MasterWillTimeOut,
    /// <summary><c>preempt</c> is on and the current master advertises less frequently.</summary>
    Preempt,
    /// <summary>OpenBSD semantics: the master advertises a higher demote count than ours.</summary>
    RemoteDemoted,
    /// <summary>A MASTER heard a master that advertises more frequently (or wins the tie).</summary>
    MoreFrequentMaster,
    /// <summary>Forced by the administrator (like FreeBSD's <c>state master|backup</c>).</summary>
    Forced,
    /// <summary>The carpdev lost its link or went down.</summary>
    CarpDevDown,
    /// <summary><c>net.inet.carp.allow</c> was set to 0.</summary>
    NotAllowed,
    /// <summary>The virtual host has no address.</summary>
    NoAddress,
    /// <summary>The carpdev has no address of a family the virtual host carries, so it cannot advertise in that family.</summary>
    NoSourceAddress,
    /// <summary>Configuration changed in a way that restarts the virtual host (vhid, carpdev, pass, addresses).</summary>
    Reconfigured,
    /// <summary>The virtual host is being removed (after its bow-out advert).</summary>
    Removed,
    /// <summary>
    /// The engine stopped for longer than its address guardian allows (SIGSTOP, a wedged loop thread): the guardian
    /// took the addresses away, so a MASTER resumes as BACKUP and the election decides (docs/ARCHITECTURE.md#address-guardian).
    /// </summary>
    AddressesRevoked,
    /// <summary>
    /// Maintenance mode was switched on (Suspend-CarpInterface, carpd's <c>maintenance</c> keyword): a MASTER bows out so that
    /// a backup takes over at once, and stays BACKUP until resumed (docs/protocol.md#maintenance).
    /// </summary>
    Suspended,
    /// <summary>
    /// VRRP: a MASTER heard an advert of a higher priority, or of its own priority from a higher primary address
    /// (docs/protocol.md#vrrp-election).
    /// </summary>
    HigherPriorityMaster,
    /// <summary>
    /// A health tracker with <c>fault</c> that covers the host (its interface or group) failed: a MASTER bows out and the
    /// host stays in INIT until no tracker faults it, then starts again (docs/protocol.md#trackers).
    /// </summary>
    TrackerFault,
}
