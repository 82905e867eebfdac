using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Carp.Engine.Core;

namespace Carp.Engine.Simulation;

/// <summary>
/// A CARP host on the simulated LAN: a real <see cref="CarpNode"/> whose outputs become frames on
/// simulated links, built and parsed by the same codec the wire uses.
/// </summary>
public sealed class SimulatedHost : ICarpOutput
{
    private static readonly PhysicalAddress Broadcast = PhysicalAddress.Parse("FF-FF-FF-FF-FF-FF");

    private readonly SimulatedLan _lan;
    private readonly Dictionary<string, SimulatedPort> _ports = new(StringComparer.Ordinal);
    private readonly HashSet<IPAddress> _present = [];
    private readonly CarpSysctls? _sysctls;
    private int _incarnation;

    internal SimulatedHost(SimulatedLan lan, string name, int index, CarpSysctls? sysctls)
    {
        _lan = lan;
        Name = name;
        Index = index;
        _sysctls = sysctls;
        Node = NewNode();
    }

    public string Name { get; }

    internal int Index { get; }

    public CarpNode Node { get; private set; }

    /// <summary>A crashed host neither sends nor receives nor runs timers (SIGKILL: no bow-out, addresses stay configured).</summary>
    public bool Crashed { get; private set; }

    /// <summary>The virtual addresses this host currently holds.</summary>
    public IReadOnlyCollection<IPAddress> PresentAddresses => _present;

    public long Announcements { get; private set; }

    public SimulatedPort Connect(SimulatedLink link, string deviceName, string? ipv4 = null, string? ipv6 = null)
    {
        var v4 = ipv4 is null ? null : IPAddress.Parse(ipv4);
        var v6 = ipv6 is null ? null : IPAddress.Parse(ipv6);
        var device = Node.AddDevice(deviceName, linkUp: true, v4, v6);
        var mac = new PhysicalAddress([0x02, 0x00, 0x00, 0x00, (byte)Index, (byte)_ports.Count]);
        var port = new SimulatedPort(this, link, device, mac, v4, v6);
        _ports.Add(deviceName, port);
        link.Attach(port);
        return port;
    }

    public VirtualHost Add(VirtualHostConfig config) => Node.AddVirtualHost(config);

    public VirtualHost this[string name] => Node.Find(name) ?? throw new KeyNotFoundException(name);

    public void Crash() => Crashed = true;

    /// <summary>
    /// Comes back after a crash as a restarted daemon does: a fresh engine that first removes the
    /// addresses the dead one left behind, then runs <paramref name="configs"/> from INIT.
    /// </summary>
    public void Restart(IEnumerable<VirtualHostConfig> configs)
    {
        _present.Clear();
        Crashed = false;
        Node = NewNode();
        foreach (var port in _ports.Values)
        {
            port.Device = Node.AddDevice(port.Device.Name, port.Device.LinkUp, port.IPv4, port.IPv6);
        }

        foreach (var config in configs)
        {
            Node.AddVirtualHost(config);
        }
    }

    private CarpNode NewNode() => new(this, _lan.Clock, _sysctls, new Random((_lan.Seed * 7919) + (Index * 31) + _incarnation++));

    public void SetLinkState(string deviceName, bool up) => Node.SetLinkState(deviceName, up);

    internal void Receive(SimulatedPort port, byte[] frame)
    {
        if (!Crashed)
        {
            Node.Receive(port.Device, frame);
        }
    }

    internal void RunTimers()
    {
        if (!Crashed)
        {
            Node.RunDueTimers();
        }
    }

    internal long? NextDeadline => Crashed ? null : Node.NextDeadline;

    bool ICarpOutput.SendAdvertisement(VirtualHost host, AddressFamily family, ReadOnlySpan<byte> carpHeader)
    {
        var port = _ports[host.Device.Name];
        var source = family == AddressFamily.InterNetwork ? port.IPv4 : port.IPv6;
        if (source is null || Crashed)
        {
            return false;
        }

        // The simulated links are a flooding switch: a unicast peer's frame goes to the broadcast MAC.
        var frame = AdvertAddressing.For(host.Config, family, port.Mac, Broadcast).Frame(source, Node.Sysctls.TrafficClass, carpHeader);
        _lan.RecordAdvert(this, host, family, carpHeader);
        port.Link.Transmit(port, frame);
        return true;
    }

    bool? ICarpOutput.SendAdvertisementTo(VirtualHost host, AddressFamily family, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> destinationMac)
    {
        var port = _ports[host.Device.Name];
        var source = family == AddressFamily.InterNetwork ? port.IPv4 : port.IPv6;
        if (source is null || Crashed)
        {
            return false;
        }

        // A yielding master's last advert, to one MAC (docs/protocol.md#split-brain-heal): the link delivers it to the port of
        // that MAC, or floods it like any frame when no port has it (a virtual MAC).
        var frame = AdvertAddressing.For(host.Config, family, port.Mac, Broadcast).Frame(source, Node.Sysctls.TrafficClass, payload);
        destinationMac.CopyTo(frame);
        port.Mac.GetAddressBytes().CopyTo(frame, 6); // from the port's own MAC, as on the Linux wire
        _lan.RecordAdvert(this, host, family, payload);
        port.Link.Transmit(port, frame);
        return true;
    }

    void ICarpOutput.SetAddresses(VirtualHost host, IReadOnlyList<CarpAddress> addresses, bool present)
    {
        foreach (var address in addresses)
        {
            if (present)
            {
                _present.Add(address.Address);
            }
            else
            {
                _present.Remove(address.Address);
            }
        }
    }

    void ICarpOutput.Announce(VirtualHost host)
    {
        Announcements++;
        if (Node.Sysctls.ArpBalance && !Crashed)
        {
            // Put on the link only with ARP balancing, which reacts to them (docs/protocol.md#arp-balancing); other runs keep their frames (and seeded loss) as they were.
            var port = _ports[host.Device.Name];
            var mac = AdvertAddressing.SourceMacOf(host.Config, port.Mac);
            foreach (var address in host.Config.Addresses.Where(a => !a.IsIPv6))
            {
                port.Link.Transmit(port, AdvertAddressing.Announcement(mac, address));
            }
        }

        _lan.Record(new SimulationEvent(_lan.Clock.Elapsed, Name, host.Name, host.Vhid, SimulationEventKind.Announce, host.State, host.State, null, null));
    }

    void ICarpOutput.SendArp(VirtualHost host, byte[] frame)
    {
        if (!Crashed)
        {
            var port = _ports[host.Device.Name];
            port.Link.Transmit(port, frame);
        }
    }

    void ICarpOutput.StateChanged(VirtualHost host, CarpState oldState, CarpState newState, TransitionReason reason) =>
        _lan.Record(new SimulationEvent(_lan.Clock.Elapsed, Name, host.Name, host.Vhid, SimulationEventKind.StateChanged, oldState, newState, reason, null));

    void ICarpOutput.DemotionChanged(VirtualHost host, byte oldAdvertisedAdvSkew, byte newAdvertisedAdvSkew, byte oldDemoteCount, byte newDemoteCount) =>
        _lan.Record(new SimulationEvent(_lan.Clock.Elapsed, Name, host.Name, host.Vhid, SimulationEventKind.DemotionChanged, host.State, host.State, null,
            $"advskew {oldAdvertisedAdvSkew} -> {newAdvertisedAdvSkew}, demote {oldDemoteCount} -> {newDemoteCount}"));

    void ICarpOutput.MaintenanceChanged(VirtualHost host, bool maintenance) =>
        _lan.Record(new SimulationEvent(_lan.Clock.Elapsed, Name, host.Name, host.Vhid, SimulationEventKind.MaintenanceChanged, host.State, host.State, null,
            maintenance ? "on" : "off"));

    void ICarpOutput.BadPacket(CarpStatistic counter, string carpDev, byte vhid, string detail) =>
        _lan.Record(new SimulationEvent(_lan.Clock.Elapsed, Name, carpDev, vhid, SimulationEventKind.BadPacket, CarpState.Init, CarpState.Init, null, $"{counter}: {detail}"));

    public override string ToString() => Name;
}
