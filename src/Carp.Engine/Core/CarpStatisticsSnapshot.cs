namespace Carp.Engine.Core;

/// <summary>The counters at one moment, named as <c>netstat -s -p carp</c> prints them.</summary>
public sealed class CarpStatisticsSnapshot
{
    private readonly long[] _values;

    public CarpStatisticsSnapshot(IReadOnlyList<long> values)
    {
        if (values.Count != CarpStatistics.Count)
        {
            throw new ArgumentException($"carpstats has {CarpStatistics.Count} counters.", nameof(values));
        }

        _values = [.. values];
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

    public override string ToString() =>
        $"{IPackets} packets received (IPv4), {IPackets6} (IPv6), {OPackets} sent (IPv4), {OPackets6} (IPv6), {BadAuth} bad authentication";
}
