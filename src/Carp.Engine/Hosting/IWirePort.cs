using System.Net;
using System.Net.NetworkInformation;

namespace Carp.Engine.Hosting;

/// <summary>An open carpdev: its addresses and a way to inject frames.</summary>
public interface IWirePort : IDisposable
{
    string Name { get; }

    PhysicalAddress Mac { get; }

    /// <summary>Source of IPv4 adverts (the carpdev's own address) as last read, or null: then no IPv4 advert can be sent.</summary>
    IPAddress? IPv4 { get; }

    /// <summary>Source of IPv6 adverts (the carpdev's link-local address) as last read, or null: then no IPv6 advert can be sent.</summary>
    IPAddress? IPv6 { get; }

    bool LinkUp { get; }

    /// <summary>Frames the capture of this carpdev dropped since it opened (e.g. pcap's ps_drop + ps_ifdrop).</summary>
    long CaptureDrops { get; }

    /// <summary>Re-reads the carpdev's own addresses into <see cref="IPv4"/> and <see cref="IPv6"/> (after <see cref="ICarpWire.AddressesChanged"/> or a link change).</summary>
    void RefreshAddresses();

    /// <summary>
    /// Injects one Ethernet frame; false, or an exception that says why, when the send failed. An advert to a unicast peer
    /// (its IP destination not multicast) carries the broadcast MAC as a placeholder: the port sends it by its IP
    /// destination, so that the next hop is resolved (the Linux wire: a raw IP socket), or floods it (in memory).
    /// </summary>
    bool Send(ReadOnlySpan<byte> frame);

    /// <summary>
    /// Whether this port can queue frames and send them together (<see cref="Queue"/>, <see cref="Flush"/>); false (the
    /// default): the engine sends each frame by <see cref="Send"/>.
    /// </summary>
    bool CanQueue => false;

    /// <summary>Frames queued since the last <see cref="Flush"/>.</summary>
    int Queued => 0;

    /// <summary>Queues a copy of <paramref name="frame"/> for the next <see cref="Flush"/>; false when it cannot be queued, and
    /// always for a frame shorter than an Ethernet header (the service primes a new port with an empty one: WireBatch.Prime).</summary>
    bool Queue(ReadOnlySpan<byte> frame) => throw new NotSupportedException($"{Name} does not queue frames.");

    /// <summary>
    /// Sends every queued frame together (on Linux one sendmmsg(2)) and empties the queue. <paramref name="sent"/> has
    /// <see cref="Queued"/> elements and receives whether each frame went out; returns why the first failed one failed, or null.
    /// </summary>
    string? Flush(Span<bool> sent) => null;

    /// <summary>
    /// Makes room to queue <paramref name="frames"/> frames at once, so that a mass takeover's pass does not grow the queue
    /// (the default: nothing to make room in).
    /// </summary>
    void Reserve(int frames)
    {
    }
}
