using System.Management.Automation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace CarpPS.Commands;

/// <summary>
/// Maintenance mode, a planned failover (docs/protocol.md#maintenance): the interfaces by -Name (wildcards, pipeline) or the
/// whole node (-All). carpd saves it in its configuration; an in-process engine keeps it while it runs.
/// </summary>
public abstract class CarpMaintenanceCommand : CarpCmdlet
{
    private protected const string ByName = "Name";
    private protected const string Everything = "All";

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true, ParameterSetName = ByName)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CarpInterfaceNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary>Every carp interface of the engine.</summary>
    [Parameter(Mandatory = true, ParameterSetName = Everything)]
    public SwitchParameter All { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var current in SelectInterfaces(All ? null : Name))
        {
            Apply(current);
        }
    }

    private protected abstract void Apply(VirtualHostStatus current);

    /// <summary>Sets maintenance mode on <paramref name="name"/>; the new status, or null after a non-terminating error.</summary>
    private protected VirtualHostStatus? SetMaintenance(string name, bool on)
    {
        var service = Service;
        VirtualHostStatus? updated = null;
        return TryRun(name, () => updated = service.SetInterface(name, new InterfaceChange { Maintenance = on })) ? updated : null;
    }

    private protected void Output(VirtualHostStatus status)
    {
        if (PassThru)
        {
            WriteObject(new CarpStatus(status));
        }
    }
}

/// <summary>
/// Maintenance mode on: a MASTER bows out so that a backup takes over at once, then stays BACKUP; a BACKUP stays out of
/// mastership (no preemption, no takeover on master-down) until Resume-CarpInterface. Suspending a MASTER is a failover:
/// it asks as Set-CarpInterface -State Backup does; -Force skips the question.
/// </summary>
[Cmdlet(VerbsLifecycle.Suspend, "CarpInterface", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ByName, HelpUri = CarpHelpUri.Base + "Suspend-CarpInterface.md")]
[OutputType(typeof(CarpStatus))]
public sealed class SuspendCarpInterfaceCommand : CarpMaintenanceCommand
{
    private bool _yesToAll;
    private bool _noToAll;

    [Parameter]
    public SwitchParameter Force { get; set; }

    private protected override void Apply(VirtualHostStatus current)
    {
        var name = current.Name;
        if (current.Maintenance)
        {
            WriteVerbose($"{name} is already in maintenance mode.");
            Output(current);
            return;
        }

        if (!ShouldProcess(name, "Suspend (maintenance mode: hand mastership over and stay out of it)"))
        {
            return;
        }

        if (current.State == CarpState.Master &&
            !ConfirmFailover(Force, $"{name} is MASTER; suspending it hands its addresses over to a backup.", name, ref _yesToAll, ref _noToAll))
        {
            return;
        }

        if (SetMaintenance(name, on: true) is { } updated)
        {
            WriteVerbose(current.State == CarpState.Master
                ? $"{name} bowed out and is now {updated.State}: a backup takes over at once; it stays out of mastership until Resume-CarpInterface."
                : $"{name} is {updated.State} and stays out of mastership until Resume-CarpInterface.");
            Output(updated);
        }
    }
}

/// <summary>
/// Maintenance mode off: the interface competes again. With no master heard it becomes MASTER after master-down; with
/// preempt on and a faster advert than the master's it takes over at that master's next advert; otherwise it stays BACKUP,
/// and a warning says why.
/// </summary>
[Cmdlet(VerbsLifecycle.Resume, "CarpInterface", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    DefaultParameterSetName = ByName, HelpUri = CarpHelpUri.Base + "Resume-CarpInterface.md")]
[OutputType(typeof(CarpStatus))]
public sealed class ResumeCarpInterfaceCommand : CarpMaintenanceCommand
{
    private bool? _preempt;

    private protected override void Apply(VirtualHostStatus current)
    {
        var name = current.Name;
        if (!current.Maintenance)
        {
            WriteVerbose($"{name} is not in maintenance mode.");
            Output(current);
            return;
        }

        if (!ShouldProcess(name, "Resume (leave maintenance mode and compete for mastership again)"))
        {
            return;
        }

        if (SetMaintenance(name, on: false) is { } updated)
        {
            Explain(updated);
            Output(updated);
        }
    }

    /// <summary>Whether mastership comes back (docs/protocol.md#maintenance), and why not when it does not.</summary>
    private void Explain(VirtualHostStatus status)
    {
        var name = status.Name;
        if (status.State != CarpState.Backup)
        {
            WriteVerbose($"{name} resumed; it is {status.State}.");
            return;
        }

        if (status.MasterSeen is not { } master || status.MasterSeenAdvBase is not { } masterBase || status.MasterSeenAdvSkew is not { } masterSkew ||
            (masterBase == CarpConstants.BowOut && masterSkew == CarpConstants.BowOut))
        {
            WriteVerbose($"{name} resumed: no master heard, so it becomes MASTER after master-down unless one advertises first.");
            return;
        }

        if (_preempt is null)
        {
            var service = Service;
            var preempt = false;
            TryRun(name, () => preempt = service.GetSysctls().Preempt);
            _preempt = preempt;
        }

        if (_preempt == false)
        {
            WriteWarning($"{name} stays BACKUP: preempt is off, so it does not take mastership back from the master at {master}. " +
                "Set-CarpSysctl -Name preempt -Value 1 lets it preempt; Set-CarpInterface -State Master moves it now.");
        }
        else if (CarpTiming.Interval(status.AdvBase, status.AdvertisedAdvSkew) >= CarpTiming.Interval(masterBase, masterSkew))
        {
            WriteWarning($"{name} stays BACKUP: the master at {master} advertises as fast or faster (advbase {masterBase} advskew {masterSkew}; " +
                $"this node advbase {status.AdvBase} advskew {status.AdvertisedAdvSkew}).");
        }
        else
        {
            WriteVerbose($"{name} resumed: preempt is on and it advertises faster than the master at {master}, so it takes over at that master's next advert.");
        }
    }
}
