using System.Management.Automation;

namespace CarpPS.Commands;

/// <summary>Lists carp interfaces and their settings.</summary>
[Cmdlet(VerbsCommon.Get, "CarpInterface")]
[OutputType(typeof(CarpInterfaceInfo))]
public sealed class GetCarpInterfaceCommand : CarpCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CarpInterfaceNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var status in SelectInterfaces(Name))
        {
            WriteObject(new CarpInterfaceInfo(status));
        }
    }
}

/// <summary>The ifconfig view of carp interfaces: state, master seen, last transition and its reason.</summary>
[Cmdlet(VerbsCommon.Get, "CarpStatus")]
[OutputType(typeof(CarpStatus))]
public sealed class GetCarpStatusCommand : CarpCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CarpInterfaceNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var status in SelectInterfaces(Name))
        {
            WriteObject(new CarpStatus(status));
        }
    }
}
