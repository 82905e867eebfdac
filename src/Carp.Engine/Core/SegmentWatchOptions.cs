using System.Net;
using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>What a segment watch looks for (docs/protocol.md#segment-watch).</summary>
public sealed record SegmentWatchOptions
{
    /// <summary>The interface the frames come from, named in entries and findings.</summary>
    public string Interface { get; init; } = string.Empty;

    /// <summary>The CARP pass to check adverts' HMACs with; null or empty checks nothing.</summary>
    public CarpKey? Pass { get; init; }

    /// <summary>Only this vhid / VRID; null watches every one.</summary>
    public byte? Vhid { get; init; }

    /// <summary>
    /// Addresses known to belong to the watched vhids (CARP's HMAC covers the vhid's address set, which its adverts do not
    /// carry). Addresses announced from a vhid's virtual MAC (gratuitous ARP, ARP replies) are learnt as well.
    /// </summary>
    public IReadOnlyList<IPAddress> Addresses { get; init; } = [];
}
