using System.Globalization;
using System.Net.Sockets;
using Carp.Engine.Core;

namespace CarpPS;

/// <summary>Why a <see cref="CarpSegmentEntry"/> was written.</summary>
public enum CarpSegmentEventKind
{
    /// <summary>The vhid as it was when the watch ended (the default output).</summary>
    Summary,

    /// <summary>-Continuous: the vhid was first seen, or its master, timing, addresses or findings changed.</summary>
    Update,

    /// <summary>-Continuous: a finding was raised for the vhid (<see cref="CarpSegmentEntry.Finding"/>, <see cref="CarpSegmentEntry.Detail"/>).</summary>
    Finding,
}

/// <summary>
/// One vhid / VRID seen on a segment (docs/protocol.md#segment-watch): a plain object with flat properties, so that
/// Where-Object and Export-Csv work on it; lists are joined with ", ". Never carries the pass.
/// </summary>
public sealed class CarpSegmentEntry
{
    internal CarpSegmentEntry(SegmentEntry entry, CarpSegmentEventKind kind, SegmentFinding? finding = null)
    {
        Kind = kind;
        Time = (finding?.Time ?? entry.At).ToLocalTime().DateTime;
        Interface = entry.Interface;
        Protocol = entry.Protocol;
        Family = entry.Family == AddressFamily.InterNetworkV6 ? "IPv6" : "IPv4";
        Vhid = entry.Vhid;
        Master = entry.Master.ToString();
        Mac = string.Join(":", entry.Mac.GetAddressBytes().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
        Masters = string.Join(", ", entry.Masters);
        MasterCount = entry.Masters.Count;
        SenderCount = entry.Senders.Count;
        Senders = string.Join(", ", entry.Senders.Select(s => s.Address));
        AdvBase = entry.AdvBase;
        AdvSkew = entry.AdvSkew;
        Demote = entry.Demote;
        Priority = entry.Priority;
        Interval = entry.Interval;
        Addresses = string.Join(", ", entry.Addresses);
        LastSeen = entry.LastSeen.ToLocalTime().DateTime;
        Age = entry.Age;
        Adverts = entry.Adverts;
        HmacFailures = entry.HmacFailures;
        HmacVerified = entry.HmacVerified;
        Findings = entry.Findings;
        Finding = finding?.Finding ?? SegmentFindings.None;
        Detail = finding?.Detail ?? string.Empty;
    }

    public CarpSegmentEventKind Kind { get; }

    /// <summary>When this was observed (local time).</summary>
    public DateTime Time { get; }

    public string Interface { get; }

    public SegmentProtocol Protocol { get; }

    /// <summary>IPv4 or IPv6.</summary>
    public string Family { get; }

    public byte Vhid { get; }

    /// <summary>The source address of the last advert.</summary>
    public string Master { get; }

    /// <summary>The Ethernet source of the last advert.</summary>
    public string Mac { get; }

    /// <summary>Every sender advertising as master now, joined with ", " (two or more: a split brain).</summary>
    public string Masters { get; }

    public int MasterCount { get; }

    /// <summary>Every sender seen during the watch, joined with ", ".</summary>
    public string Senders { get; }

    public int SenderCount { get; }

    /// <summary>CARP: the master's advbase (seconds).</summary>
    public byte AdvBase { get; }

    /// <summary>CARP: the master's advertised advskew (255 when it bowed out).</summary>
    public byte AdvSkew { get; }

    /// <summary>CARP: the demote byte of the master's advert.</summary>
    public byte Demote { get; }

    /// <summary>VRRP: the master's priority (0 when it left).</summary>
    public byte Priority { get; }

    /// <summary>The master's advert interval.</summary>
    public TimeSpan Interval { get; }

    /// <summary>The virtual addresses where visible (VRRP always; CARP once verified with -Pass), joined with ", ".</summary>
    public string Addresses { get; }

    /// <summary>When the last advert came (local time).</summary>
    public DateTime LastSeen { get; }

    /// <summary>How old the last advert was at <see cref="Time"/>.</summary>
    public TimeSpan Age { get; }

    public long Adverts { get; }

    public long HmacFailures { get; }

    public long HmacVerified { get; }

    /// <summary>Every finding raised for this vhid during the watch.</summary>
    public SegmentFindings Findings { get; }

    /// <summary>Kind Finding: the finding just raised; None otherwise.</summary>
    public SegmentFindings Finding { get; }

    /// <summary>Kind Finding: why, in plain words.</summary>
    public string Detail { get; }

    public override string ToString() => $"{Protocol} {Vhid} {Master} {Findings}";
}
