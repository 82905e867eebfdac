using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// What health trackers do to a virtual host (docs/protocol.md#trackers): their demotion reaches it through its demotion
/// owner (advskew, demote byte) and, for VRRP, lowers the priority it advertises and elects with; a fault keeps it in
/// INIT until no tracker faults it any more.
/// </summary>
public sealed partial class VirtualHost
{
    /// <summary>
    /// VRRP: the priority advertised and compared, the configured one less the failing trackers' weights, never below 1 nor
    /// above 254 while demoted (keepalived's negative <c>track_script</c> weight). CARP: the configured priority, unused.
    /// </summary>
    public byte Priority { get; private set; }

    /// <summary>The sum of the demotions of the failing trackers that cover this host (0: none).</summary>
    public int TrackerDemotion => _demotion.TrackerDemotion;

    /// <summary>A failing tracker with <c>fault</c> covers this host: it stays in INIT (<see cref="TransitionReason.TrackerFault"/>).</summary>
    public bool TrackerFault { get; private set; }

    /// <summary>VRRP's priority after a tracker demotion: unchanged without one, else 1 to 254 (docs/protocol.md#trackers).</summary>
    internal static byte TrackedPriority(byte priority, int demotion) =>
        demotion <= 0 ? priority : (byte)Math.Clamp((long)priority - demotion, 1, VrrpConstants.OwnerPriority - 1);

    /// <summary>
    /// A tracker fault starts or ends. Starting: a MASTER bows out (where the profile has one, so a backup takes over at
    /// once) and every state goes to INIT. Ending: the host starts again (INIT → BACKUP, <see cref="TransitionReason.Started"/>).
    /// </summary>
    internal void SetTrackerFault(bool fault)
    {
        if (fault == TrackerFault)
        {
            return;
        }

        TrackerFault = fault;
        if (fault)
        {
            if (State == CarpState.Master && SendsBowOut)
            {
                SendAdvertisements(CarpConstants.BowOut, CarpConstants.BowOut);
            }

            if (State != CarpState.Init)
            {
                EnterInit(TransitionReason.TrackerFault);
            }

            return;
        }

        SetRun(TransitionReason.Started);
    }
}
