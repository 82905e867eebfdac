using System.Net.NetworkInformation;
using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>
/// Each virtual host's announcement frames, a gratuitous ARP or an unsolicited neighbour advertisement per address
/// (docs/protocol.md#announce-on-master): built with PacketDotNet when the host enters BACKUP, or when its configuration
/// or the MAC it announces from changed, then sent as they are. A mass takeover's pass used to build 255 of them between
/// adding its addresses and announcing them (BENCHMARKS.md#scale). Loop thread only.
/// </summary>
internal sealed class AnnouncementFrameCache
{
    private readonly Dictionary<VirtualHost, Built> _entries = new(ReferenceEqualityComparer.Instance);

    /// <summary>One frame per address of <paramref name="host"/>, from <paramref name="sourceMac"/>; a frame that cannot be built is null, with why.</summary>
    public IReadOnlyList<Announcement> Frames(VirtualHost host, PhysicalAddress sourceMac)
    {
        if (_entries.TryGetValue(host, out var built) && ReferenceEquals(built.Config, host.Config) && built.SourceMac.Equals(sourceMac))
        {
            return built.Frames;
        }

        var frames = new Announcement[host.Config.Addresses.Count];
        for (var i = 0; i < frames.Length; i++)
        {
            var address = host.Config.Addresses[i];
            try
            {
                frames[i] = new Announcement(address, AdvertAddressing.Announcement(sourceMac, address), null);
            }
            catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
            {
                frames[i] = new Announcement(address, null, ex.Message);
            }
        }

        _entries[host] = new Built(host.Config, sourceMac, frames);
        return frames;
    }

    /// <summary>Drops the frames of hosts that are no longer in <paramref name="live"/>.</summary>
    public void Retain(IEnumerable<VirtualHost> live)
    {
        var set = new HashSet<VirtualHost>(live, ReferenceEqualityComparer.Instance);
        foreach (var host in _entries.Keys.Where(h => !set.Contains(h)).ToArray())
        {
            _entries.Remove(host);
        }
    }

    /// <summary>The announcement of <paramref name="Address"/>: its frame, or why it could not be built.</summary>
    internal sealed record Announcement(CarpAddress Address, byte[]? Frame, string? Error);

    private sealed record Built(VirtualHostConfig Config, PhysicalAddress SourceMac, Announcement[] Frames);
}
