namespace Carp.Engine.Hosting;

/// <summary>
/// Frames the carpdevs' captures dropped, for <see cref="Core.CarpStatisticsSnapshot.CaptureDrops"/>
/// (docs/protocol.md#carpstats): the open ports' own counts plus those of ports closed since, less what a reset
/// zeroed (a capture's count cannot be reset). Loop thread only.
/// </summary>
internal sealed class CaptureDropTally
{
    private long _closed;
    private long _baseline;

    public long Total(IEnumerable<IWirePort> open) => _closed + open.Sum(p => p.CaptureDrops) - _baseline;

    /// <summary>Keeps the count of a port about to close.</summary>
    public void Closing(IWirePort port) => _closed += port.CaptureDrops;

    public void Reset(IEnumerable<IWirePort> open) => _baseline += Total(open);
}
