using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carp.Engine.Tests.Hosting;

/// <summary>One carpdev "eth0" that takes every frame and, like the Linux wire, holds a pass's addresses for its end.</summary>
internal sealed class BatchingWire : ICarpWire
{
    private int _advertised;

    public bool Batches { get; init; } = true;

    /// <summary>How often the service said a timer pass sent adverts (<see cref="ICarpWire.Advertised"/>).</summary>
    public int Advertised => Volatile.Read(ref _advertised);

    public event Action<string, bool>? LinkChanged
    {
        add { }
        remove { }
    }

    public event Action<string?>? AddressesChanged
    {
        add { }
        remove { }
    }

    public IWirePort OpenPort(string carpDev, FrameHandler onFrame) => new Port();

    public void PrepareInterface(VirtualHostConfig config)
    {
    }

    public void ReleaseInterface(VirtualHostConfig config)
    {
    }

    public void SetAddresses(VirtualHostConfig config, IReadOnlyList<CarpAddress> addresses, bool present)
    {
    }

    public bool BeginAddressBatch() => Batches;

    /// <summary>Each in-place change of a host's address list the service reported, old and new.</summary>
    public List<(VirtualHostConfig Old, VirtualHostConfig New)> Reconfigured { get; } = [];

    void ICarpWire.AddressesReconfigured(VirtualHostConfig old, VirtualHostConfig config) => Reconfigured.Add((old, config));

    void ICarpWire.Advertised() => Interlocked.Increment(ref _advertised);

    public void Dispose()
    {
    }

    private sealed class Port : IWirePort
    {
        public string Name => "eth0";

        public PhysicalAddress Mac { get; } = new([0x02, 0, 0, 0, 0, 1]);

        public IPAddress? IPv4 => IPAddress.Parse("192.0.2.1");

        public IPAddress? IPv6 => null;

        public bool LinkUp => true;

        public long CaptureDrops => 0;

        public void RefreshAddresses()
        {
        }

        public bool Send(ReadOnlySpan<byte> frame) => true;

        public void Dispose()
        {
        }
    }
}
