namespace CarpPS;

/// <summary>The outcome of one failover drill (Invoke-CarpFailoverTest).</summary>
public enum CarpFailoverVerdict
{
    /// <summary>A backup took over within the bound and, where a return was expected, mastership came back.</summary>
    Passed,

    /// <summary>See <see cref="CarpFailoverTestResult.Reasons"/>.</summary>
    Failed,
}

/// <summary>The node that took a vhid over during a drill: the source of its adverts on the carpdev.</summary>
public sealed class CarpFailoverPeer
{
    /// <summary>The source address of its first advert after the bow-out.</summary>
    public string? Address { get; set; }

    /// <summary>The Ethernet source of that advert (the virtual MAC when the vhid uses one); null when measured without a wire.</summary>
    public string? Mac { get; set; }

    /// <summary>The MAC that answered ARP for the virtual address first; null when measured without a wire.</summary>
    public string? ArpMac { get; set; }

    public override string ToString() => Mac is null ? Address ?? "" : $"{Address} ({Mac})";
}

/// <summary>One moment of a drill, in milliseconds since the bow-out.</summary>
public sealed class CarpFailoverEvent
{
    /// <summary>Milliseconds since the bow-out (negative: before it).</summary>
    public double OffsetMs { get; set; }

    public DateTimeOffset Time { get; set; }

    /// <summary>BowOut, Advert, Garp, ArpReply, EchoReply, Suspend, Resume, ForceMaster, Master, Backup, Note.</summary>
    public string Kind { get; set; } = "";

    /// <summary>Who sent it: an address, or "this node".</summary>
    public string? Source { get; set; }

    public string? Mac { get; set; }

    public string? Detail { get; set; }

    public override string ToString() => $"{OffsetMs,9:0.0} ms  {Kind,-11} {Source} {Mac} {Detail}".TrimEnd();
}

/// <summary>
/// What Invoke-CarpFailoverTest measured for one vhid, as it is kept in the history (JSON lines) and read back by
/// Get-CarpFailoverTest. Times are milliseconds since the bow-out; null where nothing was measured. Carries no pass.
/// </summary>
public sealed class CarpFailoverTestResult
{
    public string Name { get; set; } = "";

    public int Vhid { get; set; }

    public string CarpDev { get; set; } = "";

    /// <summary>The virtual address that was probed (ARP and echo).</summary>
    public string? Address { get; set; }

    /// <summary>The host that ran the drill.</summary>
    public string ComputerName { get; set; } = "";

    public DateTimeOffset StartTime { get; set; }

    public CarpFailoverVerdict Verdict { get; set; }

    /// <summary>Why the drill failed; notes about the return when it passed.</summary>
    public List<string> Reasons { get; set; } = [];

    public CarpFailoverPeer? NewMaster { get; set; }

    /// <summary>Bow-out to the first advert of the new master.</summary>
    public double? HandoverMs { get; set; }

    /// <summary>Bow-out to the first ARP reply for the virtual address (from the new master, or from this node when it took the address back).</summary>
    public double? ArpMs { get; set; }

    /// <summary>Bow-out to the first echo reply from the virtual address through the wire: the outage a client sees.</summary>
    public double? OutageMs { get; set; }

    /// <summary>Resume (or the forced return) to this node's first advert as master again.</summary>
    public double? ReturnMs { get; set; }

    /// <summary>How mastership came back: Preempt, Forced, Restored (after a failed handover) or None (it stays with the peer).</summary>
    public string Return { get; set; } = "None";

    /// <summary>The handover bound (docs/protocol.md#failover-test): 3 × advbase + 255/256 s.</summary>
    public double BoundMs { get; set; }

    /// <summary>The margin after the bound before this node takes the address back.</summary>
    public double MarginMs { get; set; }

    /// <summary>How long the peer held the vhid before the return, in seconds.</summary>
    public double DurationSeconds { get; set; }

    /// <summary>Wire (a capture on the carpdev: adverts, ARP, echo) or Engine (the engine's view only, in a simulation).</summary>
    public string MeasuredOn { get; set; } = "Wire";

    public List<CarpFailoverEvent> Timeline { get; set; } = [];

    /// <summary>The timeline pictures written with -ReportPath (SVG, PNG).</summary>
    public List<string> Report { get; set; } = [];

    public override string ToString() => $"{Name} vhid {Vhid}: {Verdict}";
}
