using System.Management.Automation;
using System.Security;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace CarpPS.Commands;

/// <summary><c>ifconfig carp1 create vhid 1 carpdev em0 pass … advskew 0 172.16.0.100/24</c>.</summary>
[Cmdlet(VerbsCommon.New, "CarpInterface", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CarpStatus))]
public sealed class NewCarpInterfaceCommand : CarpCmdlet
{
    private CarpKey _key = CarpKey.Empty;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(CarpVhidCompleter))]
    public int Vhid { get; set; }

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CarpDevCompleter))]
    public string CarpDev { get; set; } = string.Empty;

    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [CarpAddressListTransformation]
    public string[] Address { get; set; } = [];

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int AdvBase { get; set; } = 1;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int AdvSkew { get; set; }

    [Parameter]
    [CarpPassTransformation]
    public SecureString? Pass { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public MacMode MacMode { get; set; } = MacMode.Virtual;

    // Attribute arguments must be constants: these are CompatibilityProfile.All's names (ManifestTests holds them equal).
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateSet("FreeBSD", "OpenBSD", "Classic", "ucarp", IgnoreCase = true)]
    public string Profile { get; set; } = CompatibilityProfile.FreeBsd.Name;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void BeginProcessing()
    {
        // -Pass does not bind from the pipeline: convert it once, so a long one warns once.
        _key = CarpPass.ToKey(Pass, out var truncated);
        if (truncated)
        {
            WriteWarning(CarpPass.TruncatedWarning);
        }
    }

    protected override void ProcessRecord()
    {
        List<CarpAddress> addresses = [];
        var invalid = CheckTiming(Vhid, AdvBase, AdvSkew) ?? ParseAddresses(Address, out addresses);
        if (invalid is not null)
        {
            WriteError(CarpErrors.FromException(invalid, Name));
            return;
        }

        var key = _key;
        var config = new VirtualHostConfig
        {
            Name = Name,
            Vhid = (byte)Vhid,
            CarpDev = CarpDev,
            Addresses = addresses,
            AdvBase = (byte)AdvBase,
            AdvSkew = (byte)AdvSkew,
            Key = key,
            MacMode = MacMode,
            Profile = CompatibilityProfile.Find(Profile) ?? CompatibilityProfile.FreeBsd,
        };
        if (!TryRun(Name, config.Validate))
        {
            return;
        }

        var description = $"vhid {Vhid} on {CarpDev}, advbase {AdvBase}, advskew {AdvSkew}, {string.Join(", ", addresses)}{(key.IsEmpty ? string.Empty : ", with a pass")}";
        if (!ShouldProcess($"{Name} ({description})", "Create carp interface"))
        {
            return;
        }

        var service = Service;
        VirtualHostStatus? created = null;
        if (TryRun(Name, () => created = service.CreateInterface(config)))
        {
            WriteVerbose($"Created {Name}: {description}; it starts in {created!.State}.");
            if (PassThru)
            {
                WriteObject(new CarpStatus(created));
            }
        }
    }
}
