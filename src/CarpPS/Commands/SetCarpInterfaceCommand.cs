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
[Cmdlet(VerbsCommon.Set, "CarpInterface", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = CarpHelpUri.Base + "Set-CarpInterface.md")]
[OutputType(typeof(CarpStatus))]
public sealed class SetCarpInterfaceCommand : CarpCmdlet
{
    /// <summary>The largest -Demote step either way.</summary>
    internal const int MaxDemoteAdjustment = 255;

    private InterfaceChange? _change;
    private CarpException? _invalid;
    private string? _invalidId;
    private bool _processed;
    private List<CarpAddress>? _addresses;
    private string _description = string.Empty;
    private bool _yesToAll;
    private bool _noToAll;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
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

    /// <summary>Only checked: the protocol is fixed at creation, so another one is refused (ProtocolFixed).</summary>
    [Parameter]
    public VirtualHostProtocol? Protocol { get; set; }

    /// <summary>VRRP: 1 to 254.</summary>
    [Parameter]
    public int? Priority { get; set; }

    /// <summary>VRRP: the advertisement interval, a TimeSpan or '100ms' / '0.1s'.</summary>
    [Parameter]
    [CarpIntervalTransformation]
    public TimeSpan? Interval { get; set; }

    /// <summary>VRRP: Preempt_Mode on ($true) or off ($false).</summary>
    [Parameter]
    public bool? Preempt { get; set; }

    /// <summary>VRRP: Accept_Mode on ($true) or off ($false): a MASTER takes, or drops, packets addressed to its virtual addresses.</summary>
    [Parameter]
    public bool? Accept { get; set; }

    /// <summary>VRRP: PseudoHeader or MessageOnly IPv4 checksums.</summary>
    [Parameter]
    public VrrpChecksumMode? VrrpChecksum { get; set; }

    /// <summary>Announcements in a new MASTER's first burst (docs/protocol.md#announcements).</summary>
    [Parameter]
    [ValidateRange(CarpLimits.AnnounceCountMin, CarpLimits.AnnounceCountMax)]
    public int? AnnounceCount { get; set; }

    /// <summary>Time between the announcements of a burst, whole milliseconds; 0: back to back.</summary>
    [Parameter]
    [CarpIntervalTransformation("AnnounceSpacing")]
    public TimeSpan? AnnounceSpacing { get; set; }

    /// <summary>Time between a MASTER's periodic re-announcements, whole seconds; 0: off.</summary>
    [Parameter]
    [CarpIntervalTransformation("AnnounceRefresh")]
    public TimeSpan? AnnounceRefresh { get; set; }

    [Parameter]
    [ValidateSet("Master", "Backup", IgnoreCase = true)]
    public CarpState? State { get; set; }

    [Parameter]
    public int? Demote { get; set; }

    /// <summary>Unicast peers (one IPv4, one IPv6) the adverts go to from now on; a family not given keeps its destination.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    [CarpAddressListTransformation]
    public string[]? Peer { get; set; }

    /// <summary>IPv4 adverts go to 224.0.0.18 again (FreeBSD <c>mcast</c>).</summary>
    [Parameter]
    public SwitchParameter Mcast { get; set; }

    /// <summary>IPv6 adverts go to ff02::12 again (FreeBSD <c>mcast6</c>).</summary>
    [Parameter]
    public SwitchParameter Mcast6 { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void BeginProcessing()
    {
        // Bad values are reported in ProcessRecord, on the interface (-Name may come from the pipeline), before anything changes.
        _invalid = CheckTiming(Vhid, AdvBase, AdvSkew);
        if (_invalid is null && Address is not null)
        {
            _invalid = ParseAddresses(Address, out _addresses);
        }

        if (_invalid is null && Demote is { } demote and (< -MaxDemoteAdjustment or > MaxDemoteAdjustment))
        {
            _invalid = CarpErrors.Refusal(CarpErrorCode.InvalidArgument,
                $"-Demote {demote} is out of range: a demotion step is -{MaxDemoteAdjustment} to {MaxDemoteAdjustment}.",
                $"Use a -Demote adjustment from -{MaxDemoteAdjustment} to {MaxDemoteAdjustment}.");
            _invalidId = CarpErrors.InvalidDemote;
        }

        System.Net.IPAddress? peer = null, peer6 = null;
        if (_invalid is null && Peer is not null)
        {
            _invalid = CarpPeers.Parse(Peer, out peer, out peer6);
        }

        if (_invalid is null && ((Mcast && peer is not null) || (Mcast6 && peer6 is not null)))
        {
            _invalid = CarpErrors.Refusal(CarpErrorCode.InvalidArgument,
                $"-Peer {(Mcast && peer is not null ? peer : peer6)} and {(Mcast && peer is not null ? "-Mcast" : "-Mcast6")} contradict each other.",
                "Pass -Peer for unicast adverts to that address, or -Mcast / -Mcast6 to return that family to multicast; not both for one family.");
        }

        ushort? interval = null;
        if (_invalid is null && Interval is { } span)
        {
            interval = CarpInterval.ToCentiseconds(span, out _invalid);
        }

        if (_invalid is null && Priority is { } priority && !CarpLimits.IsValidPriority(priority))
        {
            _invalid = new CarpException(CarpErrorCode.InvalidPriority, $"priority {priority} is not valid: a VRRP priority is {CarpLimits.PriorityRange}.");
        }

        ushort? spacing = null;
        if (_invalid is null && AnnounceSpacing is { } spacingSpan)
        {
            spacing = CarpInterval.ToAnnounceSpacingMs(spacingSpan, out _invalid);
        }

        int? refresh = null;
        if (_invalid is null && AnnounceRefresh is { } refreshSpan)
        {
            refresh = CarpInterval.ToAnnounceRefreshSeconds(refreshSpan, out _invalid);
        }

        if (_invalid is null && CarpDev is not null && !VirtualHostConfig.IsValidInterfaceName(CarpDev))
        {
            _invalid = CarpErrors.Refusal(CarpErrorCode.UnknownCarpDev, $"'{CarpDev}' is not a usable carpdev name.",
                "Name the physical interface the virtual host runs on, e.g. eth0.");
        }

        if (_invalid is not null)
        {
            return;
        }

        var addresses = _addresses;
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
            Peer = peer,
            Peer6 = peer6,
            Mcast = Mcast,
            Mcast6 = Mcast6,
            Protocol = Protocol,
            Priority = (byte?)Priority,
            Interval = interval,
            Preempt = Preempt,
            Accept = Accept,
            VrrpChecksum = VrrpChecksum,
            AnnounceCount = (byte?)AnnounceCount,
            AnnounceSpacingMs = spacing,
            AnnounceRefreshSeconds = refresh,
        };
        _description = Describe(_change);
        if (_description.Length == 0)
        {
            ThrowCarpError(CarpErrorCode.InvalidArgument, "Set-CarpInterface was given nothing to change.",
                "Pass at least one of -Vhid, -AdvBase, -AdvSkew, -Pass, -Address, -CarpDev, -MacMode, -Profile, -Peer, -Mcast, -Mcast6, -AnnounceCount, -AnnounceSpacing, -AnnounceRefresh, -State, -Demote, or for VRRP -Priority, -Interval, -Preempt, -Accept or -VrrpChecksum.", Name);
        }
    }

    protected override void ProcessRecord()
    {
        _processed = true;
        if (_invalid is { } invalid)
        {
            var record = CarpErrors.FromException(invalid, Name);
            ThrowTerminatingError(_invalidId is null ? record : CarpErrors.Custom(invalid, _invalidId, record.CategoryInfo.Category, record.ErrorDetails.RecommendedAction, Name));
        }

        // Wildcards select every matching interface; a literal name that matches nothing is InterfaceNotFound.
        foreach (var current in SelectInterfaces([Name]))
        {
            Apply(current);
        }
    }

    private void Apply(VirtualHostStatus current)
    {
        var name = current.Name;
        var change = _change!;
        if (_addresses is { } addresses && Address is not null)
        {
            CarpAddressChecks.WarnDefaultPrefixes(this, Address, addresses);
            if (CarpAddressChecks.Check(this, name, CarpDev ?? current.CarpDev, addresses) is { } refusal)
            {
                WriteError(refusal);
                return;
            }
        }

        if (!ShouldProcess(name, $"Set {_description}"))
        {
            return;
        }

        if (ForcesFailover(current, change) &&
            !ConfirmFailover(Force, $"{name} is {current.State}; setting {_description} can move MASTER between hosts.", name, ref _yesToAll, ref _noToAll))
        {
            return;
        }

        var service = Service;
        VirtualHostStatus? updated = null;
        if (TryRun(name, () => updated = service.SetInterface(name, change)))
        {
            WriteVerbose($"Set {_description} on {name}; it is now {updated!.State}.");
            if (PassThru)
            {
                WriteObject(new CarpStatus(updated));
            }
        }
    }

    protected override void EndProcessing()
    {
        if (!_processed && _invalid is { } invalid)
        {
            // Nothing came down the pipeline: the bad value is still an error.
            ThrowTerminatingError(CarpErrors.Custom(invalid, _invalidId ?? invalid.Code.ToString(), ErrorCategory.InvalidArgument,
                CarpErrors.FromException(invalid, Name).ErrorDetails.RecommendedAction, Name));
        }
    }

    /// <summary>
    /// Whether a failover can really follow. A BACKUP can take over only from a peer it has heard (MasterSeen): on -State
    /// Master, or, while preempt is on, when it lowers its advskew, advbase or demotion. A MASTER hears no backups, so it asks
    /// only when it gives mastership up: -State Backup, a new vhid, carpdev or MAC mode (it bows out and starts again in
    /// BACKUP), or, with a peer heard, advertising worse (a higher advskew, advbase or demotion).
    /// </summary>
    private bool ForcesFailover(VirtualHostStatus current, InterfaceChange change)
    {
        var peer = PeerSeen(current);
        if (current.Protocol == VirtualHostProtocol.Vrrp && change.State is null && change.Priority is { } priority && peer &&
            current.MasterSeenPriority is { } seen and > 0)
        {
            // VRRP: a master that drops below the router it heard yields to it; a backup that rises above its master takes over (with preempt).
            return current.State == CarpState.Master ? priority < seen : current.State == CarpState.Backup && current.Preempt && priority > seen;
        }

        if (current.State == CarpState.Master)
        {
            if (change.State == CarpState.Backup || (change.Vhid is { } vhid && vhid != current.Vhid) ||
                (change.CarpDev is { } dev && dev != current.CarpDev) || (change.MacMode is { } mode && mode != current.MacMode))
            {
                return true;
            }

            return peer && (change.AdvSkew > current.AdvSkew || change.AdvBase > current.AdvBase || change.DemoteAdjustment > 0) &&
                AdvertisesWorseThanPeer(current, change);
        }

        if (current.State != CarpState.Backup || !peer)
        {
            return false;
        }

        if (change.State == CarpState.Master)
        {
            return true;
        }

        if (!(change.AdvSkew < current.AdvSkew || change.AdvBase < current.AdvBase || (change.DemoteAdjustment < 0 && current.DemoteCount > 0)))
        {
            return false;
        }

        var service = Service;
        var preempt = true;
        TryRun(current.Name, () => preempt = service.GetSysctls().Preempt);
        return preempt && AdvertisesBetterThanPeer(current, change);
    }

    /// <summary>
    /// Whether a BACKUP that advertises better after <paramref name="change"/> would advertise faster than the master it hears,
    /// which is when preemption hands it mastership (docs/protocol.md#preemption). True when that is not known (the master's
    /// interval not heard yet, or a demote step, whose effect depends on the profile).
    /// </summary>
    private static bool AdvertisesBetterThanPeer(VirtualHostStatus current, InterfaceChange change)
    {
        if (current.MasterSeenAdvBase is not { } peerBase || current.MasterSeenAdvSkew is not { } peerSkew || change.DemoteAdjustment is not (null or 0))
        {
            return true;
        }

        return CarpTiming.Interval((byte)(change.AdvBase ?? current.AdvBase), (byte)NewAdvertisedSkew(current, change)) < CarpTiming.Interval(peerBase, peerSkew);
    }

    /// <summary>The advskew advertised after <paramref name="change"/>: the demotion the engine adds to the configured advskew stays as it is.</summary>
    private static int NewAdvertisedSkew(VirtualHostStatus current, InterfaceChange change) =>
        Math.Clamp((change.AdvSkew ?? current.AdvSkew) + (current.AdvertisedAdvSkew - current.AdvSkew), 0, CarpConstants.BowOut - 1);

    /// <summary>
    /// Whether a MASTER that advertises worse after <paramref name="change"/> would advertise worse than the peer it heard, so
    /// that the peer (with preempt) takes over: its new interval against the one the peer advertised. True when that is not
    /// known (a carpd that does not report the peer's timing, or a demote step, whose effect depends on the profile).
    /// </summary>
    private static bool AdvertisesWorseThanPeer(VirtualHostStatus current, InterfaceChange change)
    {
        if (current.MasterSeenAdvBase is not { } peerBase || current.MasterSeenAdvSkew is not { } peerSkew || change.DemoteAdjustment > 0)
        {
            return true;
        }

        if (peerBase == CarpConstants.BowOut && peerSkew == CarpConstants.BowOut)
        {
            // The last word of the peer was its bow-out: it has left.
            return false;
        }

        return CarpTiming.Interval((byte)(change.AdvBase ?? current.AdvBase), (byte)NewAdvertisedSkew(current, change)) > CarpTiming.Interval(peerBase, peerSkew);
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

        if (change.Peer is { } peer)
        {
            parts.Add($"peer {peer}");
        }

        if (change.Peer6 is { } peer6)
        {
            parts.Add($"peer6 {peer6}");
        }

        if (change.Mcast)
        {
            parts.Add("mcast");
        }

        if (change.Mcast6)
        {
            parts.Add("mcast6");
        }

        if (change.State is { } state)
        {
            parts.Add($"state {state}");
        }

        if (change.DemoteAdjustment is { } demote)
        {
            parts.Add($"demote {demote:+0;-0;0}");
        }

        if (change.Protocol is { } protocol)
        {
            parts.Add($"protocol {protocol}");
        }

        if (change.Priority is { } priority)
        {
            parts.Add($"priority {priority}");
        }

        if (change.Interval is { } interval)
        {
            parts.Add($"interval {interval * 10} ms");
        }

        if (change.Preempt is { } preempt)
        {
            parts.Add(preempt ? "preempt" : "no preempt");
        }

        if (change.Accept is { } accept)
        {
            parts.Add(accept ? "accept" : "no accept");
        }

        if (change.VrrpChecksum is { } checksum)
        {
            parts.Add($"checksum {checksum}");
        }

        if (change.AnnounceCount is { } count)
        {
            parts.Add($"announce count {count}");
        }

        if (change.AnnounceSpacingMs is { } spacing)
        {
            parts.Add($"announce spacing {spacing} ms");
        }

        if (change.AnnounceRefreshSeconds is { } refresh)
        {
            parts.Add(refresh == 0 ? "announce refresh off" : $"announce refresh {refresh} s");
        }

        return string.Join(", ", parts);
    }
}
