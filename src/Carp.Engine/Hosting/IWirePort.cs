using System.Net;
using System.Net.NetworkInformation;

namespace Carp.Engine.Hosting;

/// <summary>An open carpdev: its addresses and a way to inject frames.</summary>
public interface IWirePort : IDisposable
{
    string Name { get; }

    PhysicalAddress Mac { get; }

    /// <summary>Source of IPv4 adverts (the carpdev's own address), or null.</summary>
    IPAddress? IPv4 { get; }

    /// <summary>Source of IPv6 adverts (the carpdev's link-local address), or null.</summary>
    IPAddress? IPv6 { get; }

    bool LinkUp { get; }

    /// <summary>Injects one Ethernet frame; false when the send failed.</summary>
    bool Send(ReadOnlySpan<byte> frame);
}
