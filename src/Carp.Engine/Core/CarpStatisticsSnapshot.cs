namespace Carp.Engine.Core;

/// <summary>
/// The counters at one moment, named as <c>netstat -s -p carp</c> prints them, and beside them the frames the captures
/// dropped (<see cref="CaptureDrops"/>, not a carpstats counter: docs/protocol.md#carpstats).
/// </summary>
public sealed class CarpStatisticsSnapshot
{
    private readonly long[] _values;

    /// <param name="captureDrops">Frames the carpdevs' captures dropped before the engine saw them (pcap's ps_drop + ps_ifdrop, summed).</param>
    public CarpStatisticsSnapshot(IReadOnlyList<long> values, long captureDrops = 0)
    {
        if (values.Count != CarpStatistics.Count)
        {
            throw new ArgumentException($"carpstats has {CarpStatistics.Count} counters.", nameof(values));
        }

        _values = [.. values];
        CaptureDrops = captureDrops;
    }

    public long this[CarpStatistic statistic] => _values[(int)statistic];

    public IReadOnlyList<long> Values => _values;

    public long IPackets => this[CarpStatistic.IPackets];
    public long IPackets6 => this[CarpStatistic.IPackets6];
    public long BadIf => this[CarpStatistic.BadIf];
    public long BadTtl => this[CarpStatistic.BadTtl];
    public long HdrOps => this[CarpStatistic.HdrOps];
    public long BadSum => this[CarpStatistic.BadSum];
    public long BadVer => this[CarpStatistic.BadVer];
    public long BadLen => this[CarpStatistic.BadLen];
    public long BadAuth => this[CarpStatistic.BadAuth];
    public long BadVhid => this[CarpStatistic.BadVhid];
    public long BadAddrs => this[CarpStatistic.BadAddrs];
    public long OPackets => this[CarpStatistic.OPackets];
    public long OPackets6 => this[CarpStatistic.OPackets6];
    public long ONoMem => this[CarpStatistic.ONoMem];
    public long OStates => this[CarpStatistic.OStates];
    public long Preempt => this[CarpStatistic.Preempt];

    /// <summary>Frames dropped by the captures of every carpdev (kernel buffer full, interface drops) since the last reset: adverts nobody heard.</summary>
    public long CaptureDrops { get; }

    public override string ToString() =>
        $"{IPackets} packets received (IPv4), {IPackets6} (IPv6), {OPackets} sent (IPv4), {OPackets6} (IPv6), {BadAuth} bad authentication";
}
