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

    /// <summary>Carp (default) or Vrrp (VRRPv3); fixed for the interface's life (docs/protocol.md#vrrp).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public VirtualHostProtocol Protocol { get; set; } = VirtualHostProtocol.Carp;

    /// <summary>VRRP: 1 to 254, the higher one is master.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int Priority { get; set; } = CarpLimits.PriorityDefault;

    /// <summary>VRRP: the advertisement interval, a TimeSpan or '100ms' / '0.1s'; whole centiseconds from 10 ms to 40.95 s.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [CarpIntervalTransformation]
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(CarpLimits.IntervalDefault * 10);

    /// <summary>VRRP: no Preempt_Mode (a backup of higher priority does not take over from a running master).</summary>
    [Parameter]
    public SwitchParameter NoPreempt { get; set; }

    /// <summary>VRRP: no Accept_Mode (a MASTER drops packets addressed to its virtual addresses, docs/protocol.md#vrrp-accept-mode).</summary>
    [Parameter]
    public SwitchParameter NoAccept { get; set; }

    /// <summary>VRRP: how IPv4 checksums are sent (PseudoHeader, keepalived's default, or MessageOnly, its v3_checksum_as_v2).</summary>
    [Parameter]
    public VrrpChecksumMode VrrpChecksum { get; set; } = VrrpChecksumMode.PseudoHeader;

    /// <summary>Announcements (gratuitous ARP / unsolicited NA) in a new MASTER's first burst (docs/protocol.md#announcements).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateRange(CarpLimits.AnnounceCountMin, CarpLimits.AnnounceCountMax)]
    public int AnnounceCount { get; set; } = 1;

    /// <summary>Time between the announcements of a burst, whole milliseconds ('200ms'); 0: back to back.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [CarpIntervalTransformation("AnnounceSpacing")]
    public TimeSpan AnnounceSpacing { get; set; }

    /// <summary>Time between a MASTER's periodic re-announcements, whole seconds ('60s'); 0 (the default): off.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [CarpIntervalTransformation("AnnounceRefresh")]
    public TimeSpan AnnounceRefresh { get; set; }

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
        var invalid = CheckTiming(Vhid, AdvBase, AdvSkew) ?? CheckProtocolParameters() ?? ParseAddresses(Address, out addresses);
        invalid ??= CarpPeers.Parse(Peer, out peer, out peer6);
        ushort interval = CarpLimits.IntervalDefault;
        if (invalid is null && Protocol == VirtualHostProtocol.Vrrp)
        {
            interval = CarpInterval.ToCentiseconds(Interval, out invalid) ?? interval;
            if (invalid is null && !CarpLimits.IsValidPriority(Priority))
            {
                invalid = new CarpException(CarpErrorCode.InvalidPriority, $"priority {Priority} is not valid: a VRRP priority is {CarpLimits.PriorityRange}.");
            }
        }

        ushort? spacing = null;
        int? refresh = null;
        if (invalid is null)
        {
            spacing = CarpInterval.ToAnnounceSpacingMs(AnnounceSpacing, out invalid);
        }

        if (invalid is null)
        {
            refresh = CarpInterval.ToAnnounceRefreshSeconds(AnnounceRefresh, out invalid);
        }

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
            Protocol = Protocol,
            Priority = (byte)Math.Clamp(Priority, 0, 255),
            Interval = interval,
            Preempt = !NoPreempt,
            Accept = !NoAccept,
            VrrpChecksum = VrrpChecksum,
            AnnounceCount = (byte)AnnounceCount,
            AnnounceSpacingMs = spacing!.Value,
            AnnounceRefreshSeconds = refresh!.Value,
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
        var timing = Protocol == VirtualHostProtocol.Vrrp
            ? $"VRRPv3, priority {Priority}, interval {interval * 10} ms{(NoPreempt ? ", no preempt" : string.Empty)}{(NoAccept ? ", no accept" : string.Empty)}"
            : $"advbase {AdvBase}, advskew {AdvSkew}";
        var description = $"vhid {Vhid} on {CarpDev}, {timing}, {string.Join(", ", addresses)}{peers}{(key.IsEmpty ? string.Empty : ", with a pass")}";
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

    /// <summary>CARP's timing parameters on a VRRP interface, or VRRP's on a CARP one, are refused rather than ignored.</summary>
    private CarpException? CheckProtocolParameters()
    {
        // Only values other than the defaults count: a status piped in (Get-CarpInterface | New-CarpInterface) carries both kinds.
        (string Name, bool Set)[] carpOnly =
            [("AdvBase", AdvBase != 1), ("AdvSkew", AdvSkew != 0), ("Profile", !string.Equals(Profile, CompatibilityProfile.FreeBsd.Name, StringComparison.OrdinalIgnoreCase))];
        (string Name, bool Set)[] vrrpOnly =
            [("Priority", Priority != CarpLimits.PriorityDefault), ("Interval", Interval != TimeSpan.FromMilliseconds(CarpLimits.IntervalDefault * 10)),
             ("NoPreempt", NoPreempt.IsPresent), ("NoAccept", NoAccept.IsPresent), ("VrrpChecksum", VrrpChecksum != VrrpChecksumMode.PseudoHeader)];
        var vrrp = Protocol == VirtualHostProtocol.Vrrp;
        var misplaced = (vrrp ? carpOnly : vrrpOnly).FirstOrDefault(p => p.Set && MyInvocation.BoundParameters.ContainsKey(p.Name)).Name;
        return misplaced is null
            ? null
            : CarpErrors.Refusal(CarpErrorCode.InvalidArgument,
                vrrp ? $"-{misplaced} is CARP's: a VRRP interface has -Priority and -Interval instead." : $"-{misplaced} is VRRP's: this interface speaks CARP.",
                vrrp ? "Leave out -AdvBase, -AdvSkew and -Profile with -Protocol Vrrp." : $"Add -Protocol Vrrp for a VRRPv3 interface, or leave out -{misplaced}.");
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
