using System.Management.Automation;
using System.Security;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace CarpPS.Commands;

/// <summary><c>ifconfig carp1 create vhid 1 carpdev em0 pass … advskew 0 172.16.0.100/24</c>.</summary>
[Cmdlet(VerbsCommon.New, "CarpInterface", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = CarpHelpUri.Base + "New-CarpInterface.md")]
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

    /// <summary>Unicast peers the adverts go to instead of 224.0.0.18 / ff02::12: at most one IPv4 and one IPv6 address.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [CarpAddressListTransformation]
    public string[] Peer { get; set; } = [];

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
        System.Net.IPAddress? peer = null, peer6 = null;
        var invalid = CheckTiming(Vhid, AdvBase, AdvSkew) ?? ParseAddresses(Address, out addresses);
        invalid ??= CarpPeers.Parse(Peer, out peer, out peer6);
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
            Peer = peer,
            Peer6 = peer6,
        };
        if (!TryRun(Name, config.Validate))
        {
            return;
        }

        CarpAddressChecks.WarnDefaultPrefixes(this, Address, addresses);
        if (IsHostInterface(Name) is { } refusal)
        {
            WriteError(refusal);
            return;
        }

        if (CarpAddressChecks.Check(this, Name, CarpDev, addresses) is { } addressRefusal)
        {
            WriteError(addressRefusal);
            return;
        }

        var peers = string.Concat(new[] { peer, peer6 }.OfType<System.Net.IPAddress>().Select(p => ", peer " + p));
        var description = $"vhid {Vhid} on {CarpDev}, advbase {AdvBase}, advskew {AdvSkew}, {string.Join(", ", addresses)}{peers}{(key.IsEmpty ? string.Empty : ", with a pass")}";
        if (!ShouldProcess($"{Name} ({description})", "Create carp interface"))
        {
            return;
        }

        var service = Service;
        VirtualHostStatus? created = null;
        if (TryRun(Name, () =>
            {
                try
                {
                    created = service.CreateInterface(config);
                }
                catch (CarpException e) when (e.Code == CarpErrorCode.InterfaceExists && !service.GetInterfaces().Any(s => s.Name == Name))
                {
                    // The name is taken by an interface of the host (eth0, a bridge), not by a carp interface: never advise changing it.
                    throw OtherInterface(Name, e.Message, e);
                }
            }))
        {
            WriteVerbose($"Created {Name}: {description}; it starts in {created!.State}.");
            if (PassThru)
            {
                WriteObject(new CarpStatus(created));
            }
        }
    }

    /// <summary>The refusal of a name that is one of the simulated carpdevs (the real wire refuses a host interface's name itself).</summary>
    private ErrorRecord? IsHostInterface(string name)
    {
        var session = Session ?? CarpSessionRegistry.PeekCurrent();
        return session is { Kind: CarpSessionKind.Simulation } && session.CarpDev.Contains(name, StringComparer.Ordinal)
            ? CarpErrors.FromException(OtherInterface(name, $"{name} is a carpdev of this simulated LAN, not a carp interface.", null), name)
            : null;
    }

    private static CarpException OtherInterface(string name, string message, Exception? inner) =>
        CarpErrors.Refusal(CarpErrorCode.InterfaceExists, message,
            $"Choose another -Name for the carp interface, e.g. carp1: {name} is an interface of the host, not a carp interface, and it stays as it is.", inner);
}
