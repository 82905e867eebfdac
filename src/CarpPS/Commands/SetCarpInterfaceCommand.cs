using System.Management.Automation;
using System.Security;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace CarpPS.Commands;

/// <summary>
/// <c>ifconfig carp1 vhid … advbase … advskew … pass … state master|backup carpdemote n</c>. A change
/// that forces a failover (-State, or any change to a MASTER other than lowering its demotion) asks
/// for confirmation as a ConfirmImpact.High change would; -Force skips it.
/// </summary>
[Cmdlet(VerbsCommon.Set, "CarpInterface", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium)]
[OutputType(typeof(CarpStatus))]
public sealed class SetCarpInterfaceCommand : CarpCmdlet
{
    /// <summary>The error id of a -Demote outside ±<see cref="MaxDemoteAdjustment"/>.</summary>
    internal const string InvalidDemoteErrorId = "InvalidDemote";

    /// <summary>The largest -Demote step either way.</summary>
    internal const int MaxDemoteAdjustment = 255;

    private InterfaceChange? _change;
    private string _description = string.Empty;
    private bool _yesToAll;
    private bool _noToAll;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CarpInterfaceNameCompleter))]
    public string Name { get; set; } = string.Empty;

    [Parameter]
    [ArgumentCompleter(typeof(CarpVhidCompleter))]
    public int? Vhid { get; set; }

    [Parameter]
    public int? AdvBase { get; set; }

    [Parameter]
    public int? AdvSkew { get; set; }

    [Parameter]
    [CarpPassTransformation]
    public SecureString? Pass { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string[]? Address { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CarpDevCompleter))]
    public string? CarpDev { get; set; }

    [Parameter]
    public MacMode? MacMode { get; set; }

    // Attribute arguments must be constants: these are CompatibilityProfile.All's names (ManifestTests holds them equal).
    [Parameter]
    [ValidateSet("FreeBSD", "OpenBSD", "Classic", "ucarp", IgnoreCase = true)]
    public string? Profile { get; set; }

    [Parameter]
    [ValidateSet("Master", "Backup", IgnoreCase = true)]
    public CarpState? State { get; set; }

    [Parameter]
    public int? Demote { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void BeginProcessing()
    {
        var invalid = CheckTiming(Vhid, AdvBase, AdvSkew);
        List<CarpAddress>? addresses = null;
        if (invalid is null && Address is not null)
        {
            invalid = ParseAddresses(Address, out addresses);
        }

        if (invalid is not null)
        {
            object? offending = invalid.Code switch
            {
                CarpErrorCode.InvalidVhid => Vhid,
                CarpErrorCode.InvalidAdvBase => AdvBase,
                CarpErrorCode.InvalidAdvSkew => AdvSkew,
                _ => Address,
            };
            ThrowTerminatingError(CarpErrors.FromException(invalid, offending));
        }

        if (Demote is { } demote and (< -MaxDemoteAdjustment or > MaxDemoteAdjustment))
        {
            ThrowTerminatingError(CarpErrors.Custom(
                new ArgumentOutOfRangeException(nameof(Demote), demote, $"-Demote {demote} is out of range."),
                InvalidDemoteErrorId, ErrorCategory.InvalidArgument, $"Use a -Demote adjustment from -{MaxDemoteAdjustment} to {MaxDemoteAdjustment}.", demote));
        }

        if (CarpDev is not null && !VirtualHostConfig.IsValidInterfaceName(CarpDev))
        {
            ThrowCarpError(CarpErrorCode.UnknownCarpDev, $"'{CarpDev}' is not a usable carpdev name.",
                "Name the physical interface the virtual host runs on, e.g. eth0.", CarpDev);
        }

        CarpKey? key = null;
        if (Pass is not null)
        {
            key = CarpPass.ToKey(Pass, out var truncated);
            if (truncated)
            {
                WriteWarning(CarpPass.TruncatedWarning);
            }
        }

        _change = new InterfaceChange
        {
            Vhid = (byte?)Vhid,
            AdvBase = (byte?)AdvBase,
            AdvSkew = (byte?)AdvSkew,
            Key = key,
            Addresses = addresses,
            CarpDev = CarpDev,
            MacMode = MacMode,
            Profile = Profile is null ? null : CompatibilityProfile.Find(Profile)?.Name,
            State = State,
            DemoteAdjustment = Demote,
        };
        _description = Describe(_change);
        if (_description.Length == 0)
        {
            ThrowCarpError(CarpErrorCode.InvalidArgument, "Set-CarpInterface was given nothing to change.",
                "Pass at least one of -Vhid, -AdvBase, -AdvSkew, -Pass, -Address, -CarpDev, -MacMode, -Profile, -State or -Demote.", Name);
        }
    }

    protected override void ProcessRecord()
    {
        var change = _change!;
        var current = FindInterface(Name);
        if (current is null || !ShouldProcess(Name, $"Set {_description}"))
        {
            return;
        }

        if (ForcesFailover(current, change) &&
            !ConfirmFailover(Force, $"{Name} is {current.State}; setting {_description} forces a failover.", ref _yesToAll, ref _noToAll))
        {
            return;
        }

        var service = Service;
        VirtualHostStatus? updated = null;
        if (TryRun(Name, () => updated = service.SetInterface(Name, change)))
        {
            WriteVerbose($"Set {_description} on {Name}; it is now {updated!.State}.");
            if (PassThru)
            {
                WriteObject(new CarpStatus(updated));
            }
        }
    }

    /// <summary>
    /// -State; any change to a MASTER other than lowering its demotion; and, while preempt is on, a BACKUP that lowers its
    /// advskew, advbase or demotion (it then advertises better than the MASTER and takes over).
    /// </summary>
    private bool ForcesFailover(VirtualHostStatus current, InterfaceChange change)
    {
        if (change.State is not null)
        {
            return true;
        }

        if (current.State == CarpState.Master)
        {
            return change.Vhid is not null || change.AdvBase is not null || change.AdvSkew is not null || change.Key is not null ||
                change.Addresses is not null || change.CarpDev is not null || change.MacMode is not null || change.Profile is not null ||
                change.DemoteAdjustment > 0;
        }

        if (current.State != CarpState.Backup ||
            !(change.AdvSkew < current.AdvSkew || change.AdvBase < current.AdvBase || (change.DemoteAdjustment < 0 && current.DemoteCount > 0)))
        {
            return false;
        }

        var service = Service;
        var preempt = true;
        TryRun(Name, () => preempt = service.GetSysctls().Preempt);
        return preempt;
    }

    /// <summary>What changes, for ShouldProcess and verbose text; the pass is named, never shown.</summary>
    private static string Describe(InterfaceChange change)
    {
        var parts = new List<string>();
        if (change.Vhid is { } vhid)
        {
            parts.Add($"vhid {vhid}");
        }

        if (change.AdvBase is { } advBase)
        {
            parts.Add($"advbase {advBase}");
        }

        if (change.AdvSkew is { } advSkew)
        {
            parts.Add($"advskew {advSkew}");
        }

        if (change.Key is { } key)
        {
            parts.Add(key.IsEmpty ? "no pass" : "a new pass");
        }

        if (change.Addresses is { } addresses)
        {
            parts.Add("addresses " + string.Join(", ", addresses));
        }

        if (change.CarpDev is { } carpDev)
        {
            parts.Add($"carpdev {carpDev}");
        }

        if (change.MacMode is { } macMode)
        {
            parts.Add($"mac mode {macMode}");
        }

        if (change.Profile is { } profile)
        {
            parts.Add($"profile {profile}");
        }

        if (change.State is { } state)
        {
            parts.Add($"state {state}");
        }

        if (change.DemoteAdjustment is { } demote)
        {
            parts.Add($"demote {demote:+0;-0;0}");
        }

        return string.Join(", ", parts);
    }
}
