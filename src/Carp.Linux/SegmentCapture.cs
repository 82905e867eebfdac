using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carp.Linux;

/// <summary>
/// The read-only captures of a segment watch (docs/protocol.md#segment-watch): a pcap capture per interface of every
/// frame of IP protocol 112 and ARP, in either direction (this host's own adverts too), not promiscuous; the CARP/VRRP
/// link-layer groups are joined so that a NIC or macvlan that filters multicast delivers them. Nothing is ever sent.
/// </summary>
public static class SegmentCapture
{
    /// <summary>Everything a watch reads: CARP/VRRP adverts of both families and ARP (addresses announced from a virtual MAC).</summary>
    public const string Filter = "ip proto 112 or ip6 proto 112 or arp";

    /// <summary>
    /// Opens and starts a capture of each interface into <paramref name="monitor"/> (which stops them when disposed).
    /// Throws <see cref="CarpException"/>: <see cref="CarpErrorCode.NotPermitted"/> without CAP_NET_RAW,
    /// <see cref="CarpErrorCode.LibpcapMissing"/> without libpcap0.8, <see cref="CarpErrorCode.UnknownCarpDev"/> for an
    /// interface that does not exist or cannot be captured.
    /// </summary>
    public static void Open(SegmentMonitor monitor, IReadOnlyList<string> interfaces)
    {
        ArgumentNullException.ThrowIfNull(monitor);
        ArgumentNullException.ThrowIfNull(interfaces);
        if (!LinuxCapabilities.CanCapture())
        {
            throw new CarpException(CarpErrorCode.NotPermitted, "Watching a segment needs CAP_NET_RAW to capture.");
        }

        if (!PacketDevice.IsLibpcapAvailable)
        {
            throw new CarpException(CarpErrorCode.LibpcapMissing, "libpcap (libpcap.so.0.8) is not installed.");
        }

        foreach (var name in interfaces)
        {
            PacketDevice device;
            try
            {
                device = new PacketDevice(name, monitor.Attach(name), Filter, new PacketDeviceOptions { Promiscuous = false });
            }
            catch (PacketDeviceException ex)
            {
                throw new CarpException(CarpErrorCode.UnknownCarpDev, $"There is no interface '{name}' to watch here: {ex.Message}", ex);
            }

            monitor.AddSource(device);
            device.Start();
        }
    }
}
