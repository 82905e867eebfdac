using System.Diagnostics;
using System.Collections.Concurrent;
using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>
/// A wire made of memory: every engine of this process that opens a carpdev of the same name is on
/// the same segment, so two simulated firewalls in one PowerShell session hear each other. No
/// privilege, no packet leaves the process; addresses are only recorded.
/// </summary>
public sealed class InMemoryWire : ICarpWire
{
    private static readonly ConcurrentDictionary<string, Segment> Segments = new(StringComparer.Ordinal);
    private static int _nextStation;

    private readonly HashSet<string> _devices;
    private readonly int _station = Interlocked.Increment(ref _nextStation);
    private readonly ConcurrentDictionary<(string Interface, IPAddress Address), CarpAddress> _present = new();

    public InMemoryWire(IEnumerable<string> carpDevs) => _devices = new HashSet<string>(carpDevs, StringComparer.Ordinal);

    public event Action<string, bool>? LinkChanged;

    // The in-memory carpdevs always have both addresses.
    public event Action<string?>? AddressesChanged
    {
        add { }
        remove { }
    }

    /// <summary>The virtual addresses this engine holds, by carp interface.</summary>
    public IReadOnlyCollection<(string Interface, CarpAddress Address)> PresentAddresses =>
        _present.Select(p => (p.Key.Interface, p.Value)).ToArray();

    public IWirePort OpenPort(string carpDev, FrameHandler onFrame)
    {
        if (!_devices.Contains(carpDev))
        {
            throw CarpRefusals.NoSuchCarpDev(carpDev, $"on this in-memory LAN; its carpdevs are {string.Join(", ", _devices)}");
        }

        var segment = Segments.GetOrAdd(carpDev, _ => new Segment());
        var port = new Port(segment, carpDev, _station, onFrame);
        segment.Attach(port);
        return port;
    }

    public void PrepareInterface(VirtualHostConfig config)
    {
    }

    public void ReleaseInterface(VirtualHostConfig config)
    {
        foreach (var key in _present.Keys.Where(k => k.Interface == config.Name).ToArray())
        {
            _present.TryRemove(key, out _);
        }
    }

    public void SetAddresses(VirtualHostConfig config, IReadOnlyList<CarpAddress> addresses, bool present)
    {
        foreach (var address in addresses)
        {
            if (present)
            {
                _present[(config.Name, address.Address)] = address;
            }
            else
            {
                _present.TryRemove((config.Name, address.Address), out _);
            }
        }
    }

    /// <summary>Simulates pulling (or plugging back) the cable of a carpdev of this engine.</summary>
    public void SetLinkState(string carpDev, bool up) => LinkChanged?.Invoke(carpDev, up);

    public void Dispose()
    {
    }

    private sealed class Segment
    {
        private readonly Lock _gate = new();
        private Port[] _ports = [];

        public Port[] Ports => _ports;

        public void Attach(Port port)
        {
            lock (_gate)
            {
                _ports = [.. _ports, port];
            }
        }

        public void Detach(Port port)
        {
            lock (_gate)
            {
                _ports = _ports.Where(p => !ReferenceEquals(p, port)).ToArray();
            }
        }
    }

    private sealed class Port(Segment segment, string name, int station, FrameHandler onFrame) : IWirePort
    {
        public string Name => name;

        public PhysicalAddress Mac { get; } = new([0x02, 0x00, 0x5e, 0x10, (byte)(station >> 8), (byte)station]);

        // Documentation addresses, one per engine, so adverts carry distinct sources.
        public IPAddress? IPv4 { get; } = new([192, 0, 2, (byte)(1 + (station % 250))]);

        public IPAddress? IPv6 { get; } = IPAddress.Parse($"fe80::5e:{station:x}");

        public bool LinkUp => true;

        public long CaptureDrops => 0;

        public void RefreshAddresses()
        {
        }

        public bool Send(ReadOnlySpan<byte> frame)
        {
            foreach (var other in segment.Ports)
            {
                if (!ReferenceEquals(other, this))
                {
                    other.Deliver(frame);
                }
            }

            return true;
        }

        private void Deliver(ReadOnlySpan<byte> frame) => onFrame(frame, Stopwatch.GetTimestamp());

        public void Dispose() => segment.Detach(this);
    }
}
