using Carp.Control;
using Carp.Engine.Hosting;
using Carp.Linux;

namespace Carpd.Control;

/// <summary>
/// Carries out watchNetwork: captures on the real interfaces (docs/protocol.md#segment-watch), or, under --simulate, listens
/// on the in-memory LAN's carpdevs. Sends nothing either way.
/// </summary>
internal static class SegmentWatchHost
{
    public static SegmentWatchResult Watch(SegmentWatchRequest request, bool simulate, CancellationToken cancellationToken)
    {
        using var monitor = new SegmentMonitor(request.ToOptions());
        if (simulate)
        {
            foreach (var name in request.Interfaces)
            {
                monitor.AddSource(new InMemoryWire([name]).OpenPort(name, monitor.Attach(name)));
            }
        }
        else
        {
            SegmentCapture.Open(monitor, request.Interfaces);
        }

        var entries = monitor.Collect(request.Duration, cancellationToken);
        return new SegmentWatchResult(entries, monitor.Frames, monitor.BadPackets, monitor.IgnoredPackets, monitor.HmacUnchecked);
    }
}
