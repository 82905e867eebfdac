using System.Diagnostics;
using System.Net;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace CarpPS;

/// <summary>
/// A drill's eyes without a wire (Connect-CarpService -Simulation): a suspended BACKUP still validates the adverts it
/// hears and records their sender (docs/protocol.md#maintenance). Each time the engine's count of received adverts
/// grows, the advert it last recorded (MasterSeen and its timing) is one observation. No MAC, no ARP, no echo; with
/// other vhids advertising on the same engine the count is theirs too, so the wire probe is the measurement.
/// </summary>
internal sealed class FailoverEngineProbe(ICarpService service, string name) : FailoverProbe
{
    private long? _received;

    public override string MeasuredOn => "Engine";

    public override void Poll()
    {
        var statistics = service.GetStatistics();
        var received = statistics.IPackets + statistics.IPackets6;
        var grew = _received is { } before && received > before;
        _received = received;
        if (!grew)
        {
            return;
        }

        var status = service.GetInterfaces().FirstOrDefault(s => string.Equals(s.Name, name, StringComparison.Ordinal));
        if (status?.MasterSeen is not IPAddress master)
        {
            return;
        }

        var bowOut = status.MasterSeenAdvBase == CarpConstants.BowOut && status.MasterSeenAdvSkew == CarpConstants.BowOut;
        Add(new FailoverObservation(Stopwatch.GetTimestamp(), bowOut ? FailoverObservation.BowOut : FailoverObservation.Advert, master, null, Own: false,
            status.MasterSeenAdvBase ?? 0, status.MasterSeenAdvSkew ?? 0));
    }
}
