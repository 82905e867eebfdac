using System.Management.Automation;
using Carp.Engine.Hosting;

namespace CarpPS.Commands;

/// <summary>The two read views of carp interfaces: the same selection, different output objects.</summary>
public abstract class CarpInterfaceViewCmdlet : CarpCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CarpInterfaceNameCompleter))]
    public string[]? Name { get; set; }

    protected abstract object View(VirtualHostStatus status);

    protected override void ProcessRecord()
    {
        foreach (var status in SelectInterfaces(Name))
        {
            WriteObject(View(status));
        }
    }
}

/// <summary>Lists carp interfaces and their settings.</summary>
[Cmdlet(VerbsCommon.Get, "CarpInterface", HelpUri = CarpHelpUri.Base + "Get-CarpInterface.md")]
[OutputType(typeof(CarpInterfaceInfo))]
public sealed class GetCarpInterfaceCommand : CarpInterfaceViewCmdlet
{
    protected override object View(VirtualHostStatus status) => new CarpInterfaceInfo(status);
}

/// <summary>The ifconfig view of carp interfaces: state, master seen, last transition and its reason.</summary>
[Cmdlet(VerbsCommon.Get, "CarpStatus", HelpUri = CarpHelpUri.Base + "Get-CarpStatus.md")]
[OutputType(typeof(CarpStatus))]
public sealed class GetCarpStatusCommand : CarpInterfaceViewCmdlet
{
    protected override object View(VirtualHostStatus status) => new CarpStatus(status);
}
