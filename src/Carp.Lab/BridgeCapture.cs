using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Carp.Linux;
using Carp.Engine.Protocol;

namespace Carp.Lab;

/// <summary>What the lab saw on a bridge: CARP adverts and gratuitous ARPs, with wall-clock times.</summary>
internal sealed record Observed(DateTimeOffset At, string Bridge, string Kind, IPAddress Source, byte Vhid, byte AdvBase, byte AdvSkew, byte? VrrpPriority = null,
    int VrrpInterval = 0)
{
    public override string ToString() => Kind == "advert" && VrrpPriority is { } priority
        ? $"VRRPv3 advert vrid {Vhid} from {Source} (interval {VrrpInterval * 10} ms, priority {priority}) on {Bridge}"
        : Kind == "advert"
        ? $"advert vhid {Vhid} from {Source} (advbase {AdvBase} advskew {AdvSkew}) on {Bridge}"
        : $"gratuitous ARP for {Source} on {Bridge}";
}

/// <summary>Captures CARP and ARP on the lab's bridges, inside the bridge namespace.</summary>
internal sealed class BridgeCapture : IDisposable
{
    private readonly List<PacketDevice> _devices = [];

    public ConcurrentQueue<Observed> Frames { get; } = new();

    public BridgeCapture(string bridgeNamespace, params string[] bridges)
        : this(bridgeNamespace, immediate: true, bridges)
    {
    }

    /// <param name="bridgeNamespace">Where the bridges are.</param>
    /// <param name="immediate">
    /// False for a capture that is only read afterwards: frames are handed over in blocks (every 20 ms at the latest), so
    /// that the capture does not wake a thread for each frame inside the sending host's system call (a mass switch's
    /// 255 adverts); the times are the kernel's receive time stamps either way.
    /// </param>
    /// <param name="bridges">The bridges to capture on.</param>
    public BridgeCapture(string bridgeNamespace, bool immediate, params string[] bridges)
    {
        var options = immediate ? new PacketDeviceOptions() : new PacketDeviceOptions { Immediate = false, ReadTimeoutMilliseconds = 20 };
        foreach (var bridge in bridges)
        {
            var device = NetworkNamespace.Run(bridgeNamespace, () =>
            {
                var d = new PacketDevice(bridge, (frame, arrivedAt) => Record(bridge, frame, arrivedAt), "ip proto 112 or ip6 proto 112 or arp", options);
                d.Start();
                return d;
            });
            _devices.Add(device);
        }
    }

    private void Record(string bridge, ReadOnlySpan<byte> frame, long arrivedAt)
    {
        // The kernel's receive time of the frame, not when this thread got it: the timeline compares frames to the microsecond.
        var at = DateTimeOffset.UtcNow - Stopwatch.GetElapsedTime(arrivedAt);
        if (CarpFrameReader.TryParse(frame, out var carp) == CarpFrameStatus.Carp &&
            CarpHeaderCodec.TryRead(carp.Payload(frame), out var advert))
        {
            Frames.Enqueue(new Observed(at, bridge, "advert", carp.SourceAddress(frame), advert.Vhid, advert.AdvBase, advert.AdvSkew));
        }
        else if (frame.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == 0x0800 && frame[23] == 112 &&
                 14 + ((frame[14] & 0x0F) * 4) is var vrrp && frame.Length >= vrrp + 8 && frame[vrrp] == 0x31)
        {
            // A VRRPv3 advert (ours with --vrrp, or keepalived): version 3, type 1; vrid, priority, then the interval in centiseconds.
            var interval = BinaryPrimitives.ReadUInt16BigEndian(frame[(vrrp + 4)..]) & 0x0FFF;
            Frames.Enqueue(new Observed(at, bridge, "advert", new IPAddress(frame.Slice(26, 4)), frame[vrrp + 1], (byte)Math.Min(255, interval / 100), 0, frame[vrrp + 2], interval));
        }
        else if (frame.Length >= 42 && BinaryPrimitives.ReadUInt16BigEndian(frame[12..]) == 0x0806 &&
                 frame.Slice(28, 4).SequenceEqual(frame.Slice(38, 4)))
        {
            Frames.Enqueue(new Observed(at, bridge, "garp", new IPAddress(frame.Slice(28, 4)), 0, 0, 0));
        }
    }

    public void Dispose()
    {
        foreach (var device in _devices)
        {
            device.Dispose();
        }
    }
}
