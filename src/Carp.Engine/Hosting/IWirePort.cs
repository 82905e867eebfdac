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

    /// <summary>Injects one Ethernet frame; false, or an exception that says why, when the send failed.</summary>
    bool Send(ReadOnlySpan<byte> frame);
}
