using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Linux;

namespace Carpd.Control;

/// <summary>
/// Carries out watchNetwork: captures on the real interfaces (docs/protocol.md#segment-watch), or, under --simulate, listens
/// on the in-memory LAN's carpdevs. Sends nothing either way.
/// </summary>
internal static class SegmentWatchHost
{
    /// <param name="simulatedCarpDevs">Under --simulate, the in-memory LAN's carpdevs; null on the real wire.</param>
    public static SegmentWatchResult Watch(SegmentWatchRequest request, IReadOnlyList<string>? simulatedCarpDevs, CancellationToken cancellationToken)
    {
        using var monitor = new SegmentMonitor(request.ToOptions());
        if (simulatedCarpDevs is not null)
        {
            foreach (var name in request.Interfaces)
            {
                if (!simulatedCarpDevs.Contains(name, StringComparer.Ordinal))
                {
                    throw CarpRefusals.NoSuchCarpDev(name, $"on the simulated LAN; its carpdevs are {string.Join(", ", simulatedCarpDevs.Distinct(StringComparer.Ordinal))}");
                }

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
