using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace CarpPS;

/// <summary>
/// A carp interface's configuration, as Get-CarpInterface shows it: what New-CarpInterface takes
/// (pipe it there, or through ConvertTo-Csv / ConvertTo-Json and back). Carries no secret: only
/// whether a pass is set. Properties are in the order Select-Object * and the exports show them.
/// </summary>
public sealed class CarpInterfaceInfo
{
    internal CarpInterfaceInfo(VirtualHostStatus status)
    {
        Name = status.Name;
        Vhid = status.Vhid;
        CarpDev = status.CarpDev;
        Address = new CarpList(status.Addresses.Select(a => a.ToString()));
        AdvBase = status.AdvBase;
        AdvSkew = status.AdvSkew;
        MacMode = status.MacMode;
        Profile = status.Profile;
        HasPass = status.HasPass;
        Groups = new CarpList(status.Groups);
        Peer = PeersOf(status);
        State = status.State;
        Protocol = status.Protocol;
        Priority = status.Priority;
        Interval = TimeSpan.FromMilliseconds(status.Interval * 10);
        Preempt = status.Preempt;
        Accept = status.Accept;
        VrrpChecksum = status.VrrpChecksum;
        AnnounceCount = status.AnnounceCount;
        AnnounceSpacing = TimeSpan.FromMilliseconds(status.AnnounceSpacingMs);
        AnnounceRefresh = TimeSpan.FromSeconds(status.AnnounceRefreshSeconds);
    }

    /// <summary>The unicast peers of <paramref name="status"/>, IPv4 first (docs/protocol.md#unicast-peers).</summary>
    internal static CarpList PeersOf(VirtualHostStatus status) =>
        new(new[] { status.Peer, status.Peer6 }.OfType<System.Net.IPAddress>().Select(p => p.ToString()));

    public string Name { get; }

    public byte Vhid { get; }

    public string CarpDev { get; }

    /// <summary>The virtual addresses, written as 192.0.2.1/24.</summary>
    public CarpList Address { get; }

    public byte AdvBase { get; }

    public byte AdvSkew { get; }

    public MacMode MacMode { get; }

    public string Profile { get; }

    public bool HasPass { get; }

    public CarpList Groups { get; }

    /// <summary>Unicast peers the adverts go to (at most one IPv4 and one IPv6); empty: multicast (224.0.0.18, ff02::12).</summary>
    public CarpList Peer { get; }

    /// <summary>The state when it was read; Get-CarpStatus shows the live state with the master seen.</summary>
    public CarpState State { get; }

    /// <summary>Carp or Vrrp (VRRPv3); the five properties after it are VRRP's.</summary>
    public VirtualHostProtocol Protocol { get; }

    public byte Priority { get; }

    /// <summary>The VRRP advertisement interval.</summary>
    public TimeSpan Interval { get; }

    public bool Preempt { get; }

    /// <summary>VRRP: Accept_Mode; off, a MASTER drops packets addressed to its virtual addresses (docs/protocol.md#vrrp-accept-mode).</summary>
    public bool Accept { get; }

    public VrrpChecksumMode VrrpChecksum { get; }

    /// <summary>Announcements in a new MASTER's first burst (docs/protocol.md#announcements).</summary>
    public byte AnnounceCount { get; }

    /// <summary>Time between the announcements of a burst.</summary>
    public TimeSpan AnnounceSpacing { get; }

    /// <summary>Time between a MASTER's periodic re-announcements; zero: off.</summary>
    public TimeSpan AnnounceRefresh { get; }

    public override string ToString() => Name;
}

/// <summary>
/// What <c>ifconfig carp1</c> shows of a carp interface at one moment, as Get-CarpStatus returns it:
/// the live state first, then the configuration.
/// </summary>
public sealed class CarpStatus
{
    internal CarpStatus(VirtualHostStatus status)
    {
        Name = status.Name;
        Vhid = status.Vhid;
        CarpDev = status.CarpDev;
        State = status.State;
        Address = new CarpList(status.Addresses.Select(a => a.ToString()));
        MasterSeen = status.MasterSeen?.ToString();
        EffectiveAdvSkew = status.AdvertisedAdvSkew;
        Demotion = status.DemoteCount;
        LastTransition = status.LastTransition;
        LastTransitionReason = status.LastTransitionReason;
        Transitions = status.Transitions;
        ForcedState = status.ForcedState;
        AdvBase = status.AdvBase;
        AdvSkew = status.AdvSkew;
        MacMode = status.MacMode;
        Profile = status.Profile;
        HasPass = status.HasPass;
        Groups = new CarpList(status.Groups);
        Maintenance = status.Maintenance;
        Peer = CarpInterfaceInfo.PeersOf(status);
        Protocol = status.Protocol;
        Priority = status.Priority;
        Interval = TimeSpan.FromMilliseconds(status.Interval * 10);
        Preempt = status.Preempt;
        Accept = status.Accept;
        VrrpChecksum = status.VrrpChecksum;
        MasterPriority = status.MasterSeenPriority;
        MasterInterval = status.MasterAdverInterval is { } mai ? TimeSpan.FromMilliseconds(mai * 10) : null;
        BalancingSet = new CarpList(status.BalancingSet.Select(v => v.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        AnswersArp = status.AnswersArp;
        AnnounceCount = status.AnnounceCount;
        AnnounceSpacing = TimeSpan.FromMilliseconds(status.AnnounceSpacingMs);
        AnnounceRefresh = TimeSpan.FromSeconds(status.AnnounceRefreshSeconds);
        Announcements = status.Announcements;
        OtherMastersSeen = status.OtherMastersSeen;
        AdvertsSent = status.AdvertsSent;
        AdvertsReceived = status.AdvertsReceived;
        Trackers = new CarpList(status.Trackers);
        TrackerDemotion = status.TrackerDemotion;
        TrackerFault = status.TrackerFault;
        EffectivePriority = status.AdvertisedPriority;
    }

    public string Name { get; }

    public byte Vhid { get; }

    public string CarpDev { get; }

    public CarpState State { get; }

    /// <summary>
    /// The vhids on the carpdev that share an IPv4 address with this one, itself included: its ARP-balancing set
    /// (Set-CarpSysctl -ArpBalance). Empty when it shares none.
    /// </summary>
    public CarpList BalancingSet { get; }

    /// <summary>ARP balancing is on, this vhid is in a set and MASTER here: this host answers the ARP requests whose sender address selects it.</summary>
    public bool AnswersArp { get; }

    /// <summary>In maintenance mode (Suspend-CarpInterface): it stays out of mastership until Resume-CarpInterface.</summary>
    public bool Maintenance { get; }

    /// <summary>The virtual addresses, written as 192.0.2.1/24.</summary>
    public CarpList Address { get; }

    /// <summary>Source address of the last valid advertisement heard from another node, as text.</summary>
    public string? MasterSeen { get; }

    /// <summary>The advskew advertised after demotion and preemption suppression.</summary>
    public byte EffectiveAdvSkew { get; }

    /// <summary>The demote count advertised (OpenBSD's demote byte).</summary>
    public byte Demotion { get; }

    public DateTimeOffset? LastTransition { get; }

    public TransitionReason? LastTransitionReason { get; }

    /// <summary>How many state changes this interface has made.</summary>
    public long Transitions { get; }

    /// <summary>The state last forced with Set-CarpInterface -State, if any.</summary>
    public CarpState? ForcedState { get; }

    public byte AdvBase { get; }

    public byte AdvSkew { get; }

    public MacMode MacMode { get; }

    public string Profile { get; }

    public bool HasPass { get; }

    public CarpList Groups { get; }

    /// <summary>Unicast peers the adverts go to; empty: multicast.</summary>
    public CarpList Peer { get; }

    /// <summary>Carp or Vrrp (VRRPv3); the properties after it are VRRP's.</summary>
    public VirtualHostProtocol Protocol { get; }

    public byte Priority { get; }

    /// <summary>The VRRP advertisement interval this node sends with.</summary>
    public TimeSpan Interval { get; }

    public bool Preempt { get; }

    /// <summary>VRRP: Accept_Mode; off, a MASTER drops packets addressed to its virtual addresses (docs/protocol.md#vrrp-accept-mode).</summary>
    public bool Accept { get; }

    public VrrpChecksumMode VrrpChecksum { get; }

    /// <summary>VRRP: the priority of the last advert heard from another router (0: it left).</summary>
    public byte? MasterPriority { get; }

    /// <summary>VRRP: the master's interval this node's master-down timer runs on (learnt from its adverts).</summary>
    public TimeSpan? MasterInterval { get; }

    /// <summary>Announcements in a new MASTER's first burst (docs/protocol.md#announcements).</summary>
    public byte AnnounceCount { get; }

    /// <summary>Time between the announcements of a burst.</summary>
    public TimeSpan AnnounceSpacing { get; }

    /// <summary>Time between a MASTER's periodic re-announcements; zero: off.</summary>
    public TimeSpan AnnounceRefresh { get; }

    /// <summary>Announcements sent since the interface was created: bursts, the delayed one, refreshes, answers to another master.</summary>
    public long Announcements { get; }

    /// <summary>Adverts heard, as MASTER, from another master of this vhid that had to yield (a split brain healing, docs/protocol.md#split-brain-heal).</summary>
    public long OtherMastersSeen { get; }

    /// <summary>Adverts of this interface sent since it was created (each address family counts).</summary>
    public long AdvertsSent { get; }

    /// <summary>Adverts for this interface received and accepted since it was created, from any node.</summary>
    public long AdvertsReceived { get; }

    /// <summary>The health trackers covering it (Get-CarpTracker), failing or not.</summary>
    public CarpList Trackers { get; }

    /// <summary>The demotion its failing trackers add (to EffectiveAdvSkew or Demotion; VRRP: taken off the priority).</summary>
    public int TrackerDemotion { get; }

    /// <summary>A failing tracker with -Fault holds it in INIT.</summary>
    public bool TrackerFault { get; }

    /// <summary>VRRP: the priority it advertises, Priority less its failing trackers' weights.</summary>
    public byte EffectivePriority { get; }

    public override string ToString() => $"{Name}: {State}";
}

/// <summary>One <c>net.inet.carp.*</c> setting with its value, as Get-CarpSysctl returns it.</summary>
public sealed class CarpSysctl
{
    internal CarpSysctl(SysctlDescriptor descriptor, CarpSysctls values)
    {
        Name = descriptor.Name;
        FullName = descriptor.FullName;
        Value = SysctlCatalog.Get(values, descriptor);
        DefaultValue = descriptor.DefaultValue;
        Minimum = descriptor.Minimum;
        Maximum = descriptor.Maximum;
        ReadOnly = descriptor.ReadOnly;
        Description = descriptor.Description;
    }

    public string Name { get; }

    public string FullName { get; }

    public long Value { get; }

    public long DefaultValue { get; }

    public long Minimum { get; }

    public long Maximum { get; }

    public bool ReadOnly { get; }

    public string Description { get; }

    public override string ToString() => $"{FullName}: {Value}";
}

/// <summary>The carpstats counters at one moment (<c>netstat -s -p carp</c>), as Get-CarpStatistics returns them.</summary>
public sealed class CarpStatisticsInfo
{
    internal CarpStatisticsInfo(CarpStatisticsSnapshot snapshot)
    {
        Timestamp = DateTimeOffset.Now;
        IPackets = snapshot.IPackets;
        IPackets6 = snapshot.IPackets6;
        BadIf = snapshot.BadIf;
        BadTtl = snapshot.BadTtl;
        HdrOps = snapshot.HdrOps;
        BadSum = snapshot.BadSum;
        BadVer = snapshot.BadVer;
        BadLen = snapshot.BadLen;
        BadAuth = snapshot.BadAuth;
        BadVhid = snapshot.BadVhid;
        BadAddrs = snapshot.BadAddrs;
        OPackets = snapshot.OPackets;
        OPackets6 = snapshot.OPackets6;
        ONoMem = snapshot.ONoMem;
        OStates = snapshot.OStates;
        Preempt = snapshot.Preempt;
        CaptureDrops = snapshot.CaptureDrops;
    }

    /// <summary>When the counters were read.</summary>
    public DateTimeOffset Timestamp { get; }

    /// <summary>Advertisements received over IPv4.</summary>
    public long IPackets { get; }

    /// <summary>Advertisements received over IPv6.</summary>
    public long IPackets6 { get; }

    /// <summary>Dropped: arrived on an interface without CARP.</summary>
    public long BadIf { get; }

    /// <summary>Dropped: TTL / hop limit not 255.</summary>
    public long BadTtl { get; }

    /// <summary>Dropped: shorter than a CARP header.</summary>
    public long HdrOps { get; }

    /// <summary>Dropped: bad checksum.</summary>
    public long BadSum { get; }

    /// <summary>Dropped: wrong version or type.</summary>
    public long BadVer { get; }

    /// <summary>Dropped: wrong length.</summary>
    public long BadLen { get; }

    /// <summary>Dropped: HMAC did not verify (different pass or addresses).</summary>
    public long BadAuth { get; }

    /// <summary>Dropped: vhid not configured here.</summary>
    public long BadVhid { get; }

    /// <summary>Dropped: address list did not match.</summary>
    public long BadAddrs { get; }

    /// <summary>Advertisements sent over IPv4.</summary>
    public long OPackets { get; }

    /// <summary>Advertisements sent over IPv6.</summary>
    public long OPackets6 { get; }

    /// <summary>Advertisements that could not be sent.</summary>
    public long ONoMem { get; }

    /// <summary>State updates sent.</summary>
    public long OStates { get; }

    /// <summary>Times a backup preempted a master.</summary>
    public long Preempt { get; }

    /// <summary>Frames the carpdevs' captures dropped before the engine saw them (pcap ps_drop + ps_ifdrop); not a carpstats counter.</summary>
    public long CaptureDrops { get; }

    public override string ToString() =>
        $"{IPackets} received (IPv4), {IPackets6} (IPv6), {OPackets} sent (IPv4), {OPackets6} (IPv6), {BadAuth} bad authentication";
}
