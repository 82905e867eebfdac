using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Engine.Hosting;

/// <summary>
/// The engine's prebuilt advert frames, one per virtual host and family (docs/protocol.md#prebuilt-advert-frames): built
/// with PacketDotNet when a host first advertises, or when what the frame is made of changed (the host's configuration,
/// the carpdev's MAC or source address, the traffic class), then patched per advert. Finding and patching a frame
/// allocates nothing; the IPv4 identifications come a block per CSPRNG call (docs/protocol.md#per-frame-randomness).
/// Loop thread only.
/// </summary>
internal sealed class AdvertFrameCache
{
    private readonly Dictionary<VirtualHost, Entry> _entries = new(ReferenceEqualityComparer.Instance);
    private readonly BlockRandom _identifications = new();

    /// <summary>The Ethernet destination a unicast peer's advert frame is built with: a port routes such a frame by its IP destination (<see cref="IWirePort.Send"/>).</summary>
    internal static readonly PhysicalAddress UnicastPlaceholderMac = new([0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]);

    /// <summary>The advert frame of <paramref name="host"/> for <paramref name="family"/> carrying <paramref name="carpHeader"/>; valid until the next call for the same host and family.</summary>
    /// <exception cref="ArgumentException">The frame cannot be built (see <see cref="CarpFrameBuilder.Advertisement"/>).</exception>
    public ReadOnlySpan<byte> Frame(VirtualHost host, AddressFamily family, PhysicalAddress carpDevMac, IPAddress source, byte trafficClass, ReadOnlySpan<byte> carpHeader)
    {
        var slot = Slot(host, family, carpDevMac, source, trafficClass, carpHeader.Length);
        return slot.Template.Write(carpHeader, slot.Template.IsIPv4 ? _identifications.NextUInt16() : (ushort)0);
    }

    /// <summary>
    /// Builds the frame of <paramref name="host"/> for <paramref name="family"/> ahead of its first advert, so that a BACKUP's
    /// takeover only patches it (BENCHMARKS.md#first-takeover).
    /// </summary>
    /// <exception cref="ArgumentException">The frame cannot be built (see <see cref="CarpFrameBuilder.Advertisement"/>).</exception>
    public void Prepare(VirtualHost host, AddressFamily family, PhysicalAddress carpDevMac, IPAddress source, byte trafficClass) =>
        _ = Slot(host, family, carpDevMac, source, trafficClass, host.AdvertLength(family));

    private Built Slot(VirtualHost host, AddressFamily family, PhysicalAddress carpDevMac, IPAddress source, byte trafficClass, int payloadLength)
    {
        if (!_entries.TryGetValue(host, out var entry))
        {
            entry = new Entry();
            _entries.Add(host, entry);
        }

        ref var slot = ref family == AddressFamily.InterNetwork ? ref entry.V4 : ref entry.V6;
        if (slot is null || !slot.IsFor(host.Config, carpDevMac, source, trafficClass) || slot.Template.PayloadLength != payloadLength)
        {
            // No neighbour resolution here: a unicast peer's frame carries a placeholder Ethernet destination, and the port
            // sends it by its IP destination (the Linux wire through a raw IP socket, docs/protocol.md#unicast-on-linux).
            var addressing = AdvertAddressing.For(host.Config, family, carpDevMac, UnicastPlaceholderMac);
            slot = new Built(new AdvertFrameTemplate(addressing.SourceMac, source, addressing.Destination, trafficClass, addressing.DestinationMac, payloadLength),
                host.Config, carpDevMac, source, trafficClass, addressing.Destination);
        }

        return slot;
    }

    /// <summary>Where the host's adverts of <paramref name="family"/> go, as last built (for log lines), or null.</summary>
    public IPAddress? DestinationOf(VirtualHost host, AddressFamily family) =>
        _entries.TryGetValue(host, out var entry) ? (family == AddressFamily.InterNetwork ? entry.V4 : entry.V6)?.Destination : null;

    /// <summary>Drops the frames of hosts that are no longer in <paramref name="live"/> (removed, or replaced by a new identity).</summary>
    public void Retain(IEnumerable<VirtualHost> live)
    {
        var set = new HashSet<VirtualHost>(live, ReferenceEqualityComparer.Instance);
        foreach (var host in _entries.Keys.Where(h => !set.Contains(h)).ToArray())
        {
            _entries.Remove(host);
        }
    }

    private sealed class Entry
    {
        public Built? V4;
        public Built? V6;
    }

    /// <summary>A template and what it was built from; a configuration is compared by reference (an update is a new object).</summary>
    private sealed record Built(AdvertFrameTemplate Template, VirtualHostConfig Config, PhysicalAddress CarpDevMac, IPAddress Source, byte TrafficClass, IPAddress Destination)
    {
        public bool IsFor(VirtualHostConfig config, PhysicalAddress carpDevMac, IPAddress source, byte trafficClass) =>
            ReferenceEquals(Config, config) && CarpDevMac.Equals(carpDevMac) && Source.Equals(source) && TrafficClass == trafficClass;
    }
}
