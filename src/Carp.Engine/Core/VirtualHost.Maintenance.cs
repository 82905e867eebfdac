using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// Maintenance mode, a planned failover (docs/protocol.md#maintenance): a suspended host stays out of mastership. A MASTER
/// bows out, so that a backup takes over at once, and stays BACKUP; a BACKUP still listens (MasterSeen stays current) but
/// neither preempts nor takes over when its master-down timer would expire.
/// </summary>
public sealed partial class VirtualHost
{
    /// <summary>In maintenance mode: part of the configuration, so carpd keeps it across restarts.</summary>
    public bool Suspended => Config.Maintenance;

    /// <summary>
    /// Called by <see cref="Reconfigure"/> before the new configuration applies: reports the change, and a MASTER that is
    /// being suspended hands over with the configuration its peers know.
    /// </summary>
    private void ChangeMaintenance(bool maintenance)
    {
        _node.Output.MaintenanceChanged(this, maintenance);
        if (!maintenance || State != CarpState.Master)
        {
            // Resuming: SetRun re-arms master-down, and the next advert of the master decides (preempt) — docs/protocol.md#maintenance.
            return;
        }

        // The bow-out's interval (255 + 255/256 s) is longer than any backup's 3 × advbase + advskew/256 up to advbase 85,
        // so a backup takes over at once by the "master will time out" rule, with or without preempt (docs/protocol.md#bow-out).
        // ucarp sends none: its peers wait for master-down.
        if (SendsBowOut)
        {
            SendAdvertisements(CarpConstants.BowOut, CarpConstants.BowOut);
        }

        _advertDeadline = Unarmed;
        EnterBackup(TransitionReason.Suspended);
    }
}
