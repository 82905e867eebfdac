using System.Net.Sockets;
using Carp.Engine.Core;
using Carp.Engine.Protocol;

namespace Carp.Benchmarks;

/// <summary>
/// An <see cref="ICarpOutput"/> that does what the engine's output does to a periodic advert short of the system call:
/// patches the host's prebuilt frame (docs/protocol.md#prebuilt-advert-frames), copies it into a send queue and
/// reports the whole pass sent at the flush (docs/protocol.md#advert-coalescing).
/// </summary>
internal sealed class FramingOutput : ICarpOutput
{
    private readonly Dictionary<VirtualHost, AdvertFrameTemplate> _frames = new(ReferenceEqualityComparer.Instance);
    private readonly BlockRandom _identifications = new();
    private readonly byte[] _queue = new byte[4096 * 128];
    private int _queued;

    public long Sent { get; private set; }

    public long Passes { get; private set; }

    public bool SendAdvertisement(VirtualHost host, AddressFamily family, ReadOnlySpan<byte> carpHeader)
    {
        if (!_frames.TryGetValue(host, out var template))
        {
            var addressing = AdvertAddressing.For(host.Config, family, CarpFixture.PeerMac);
            template = new AdvertFrameTemplate(addressing.SourceMac, CarpFixture.OwnSource, addressing.Destination, CarpFixture.TrafficClass);
            _frames.Add(host, template);
        }

        template.Write(carpHeader, _identifications.NextUInt16()).CopyTo(_queue.AsSpan(_queued++ * 128 % _queue.Length));
        Sent++;
        return true;
    }

    public bool BeginAdvertBatch() => true;

    public void FlushAdvertisements(Span<bool> sent)
    {
        sent.Fill(true);
        _queued = 0;
        Passes++;
    }

    public void SetAddresses(VirtualHost host, IReadOnlyList<CarpAddress> addresses, bool present)
    {
    }

    public void Announce(VirtualHost host)
    {
    }

    public void StateChanged(VirtualHost host, CarpState oldState, CarpState newState, TransitionReason reason)
    {
    }

    public void MaintenanceChanged(VirtualHost host, bool maintenance)
    {
    }

    public void DemotionChanged(VirtualHost host, byte oldAdvertisedAdvSkew, byte newAdvertisedAdvSkew, byte oldDemoteCount, byte newDemoteCount)
    {
    }

    public void BadPacket(CarpStatistic counter, string carpDev, byte vhid, string detail)
    {
    }
}
