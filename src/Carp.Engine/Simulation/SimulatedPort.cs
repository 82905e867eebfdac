using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Core;

namespace Carp.Engine.Simulation;

/// <summary>A host's interface on a simulated link: its carpdev.</summary>
public sealed class SimulatedPort
{
    internal SimulatedPort(SimulatedHost host, SimulatedLink link, CarpDevice device, PhysicalAddress mac, IPAddress? ipv4, IPAddress? ipv6)
    {
        Host = host;
        Link = link;
        Device = device;
        Mac = mac;
        IPv4 = ipv4;
        IPv6 = ipv6;
    }

    public SimulatedHost Host { get; }

    public SimulatedLink Link { get; }

    public CarpDevice Device { get; internal set; }

    public PhysicalAddress Mac { get; }

    public IPAddress? IPv4 { get; }

    public IPAddress? IPv6 { get; }
}
