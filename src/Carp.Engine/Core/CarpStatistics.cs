namespace Carp.Engine.Core;

/// <summary>
/// Live <c>carpstats</c> counters, lock-free so the receive path, the status reader and
/// a reset can run on different threads.
/// </summary>
public sealed class CarpStatistics
{
    public const int Count = 16;

    private readonly long[] _counters = new long[Count];

    public void Increment(CarpStatistic statistic) => Interlocked.Increment(ref _counters[(int)statistic]);

    public long this[CarpStatistic statistic] => Interlocked.Read(ref _counters[(int)statistic]);

    /// <param name="captureDrops">What the wire counted as dropped by its captures (<see cref="CarpStatisticsSnapshot.CaptureDrops"/>).</param>
    public CarpStatisticsSnapshot Snapshot(long captureDrops = 0)
    {
        var values = new long[Count];
        for (var i = 0; i < Count; i++)
        {
            values[i] = Interlocked.Read(ref _counters[i]);
        }

        return new CarpStatisticsSnapshot(values, captureDrops);
    }

    public void Reset()
    {
        for (var i = 0; i < Count; i++)
        {
            Interlocked.Exchange(ref _counters[i], 0);
        }
    }
}
