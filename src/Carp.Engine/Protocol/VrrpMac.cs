using System.Net.NetworkInformation;
using System.Net.Sockets;

namespace Carp.Engine.Protocol;

/// <summary>The VRRP virtual router MACs (RFC 5798 §7.3; docs/protocol.md#vrrp-virtual-mac).</summary>
public static class VrrpMac
{
    /// <summary>00:00:5e:00:01:VRID for an IPv4 virtual router, 00:00:5e:00:02:VRID for an IPv6 one.</summary>
    public static PhysicalAddress Virtual(byte vrid, AddressFamily family) =>
        new([0x00, 0x00, 0x5E, 0x00, family == AddressFamily.InterNetworkV6 ? (byte)0x02 : (byte)0x01, vrid]);
}
