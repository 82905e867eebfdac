using System.Management.Automation;
using Carp.Engine.Core;

namespace CarpPS.Commands;

/// <summary><c>ifconfig carp1 destroy</c>: a MASTER first sends its bow-out advertisement and releases its addresses.</summary>
[Cmdlet(VerbsCommon.Remove, "CarpInterface", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = CarpHelpUri.Base + "Remove-CarpInterface.md")]
[OutputType(typeof(void))]
public sealed class RemoveCarpInterfaceCommand : CarpCmdlet
{
    private bool _yesToAll;
    private bool _noToAll;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CarpInterfaceNameCompleter))]
    public string[] Name { get; set; } = [];

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var current in SelectInterfaces(Name))
        {
            var name = current.Name;
            if (!ShouldProcess($"{name} (vhid {current.Vhid} on {current.CarpDev}, {current.State})", "Remove carp interface"))
            {
                continue;
            }

            if (current.State == CarpState.Master &&
                !ConfirmFailover(Force, $"{name} is MASTER; removing it hands vhid {current.Vhid} over to a backup.", name, ref _yesToAll, ref _noToAll))
            {
                continue;
            }

            var service = Service;
            if (TryRun(name, () => service.RemoveInterface(name)))
            {
                WriteVerbose($"Removed {name}{(current.State == CarpState.Master ? " after its bow-out advertisement" : string.Empty)}.");
            }
        }
    }
}
