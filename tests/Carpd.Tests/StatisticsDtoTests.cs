using Carp.Control;
using Carp.Engine.Core;

namespace Carpd.Tests;

/// <summary>The statistics DTO carries the captures' drops beside the 16 carpstats names (docs/protocol.md#carpstats).</summary>
public sealed class StatisticsDtoTests
{
    [Fact]
    public void Capture_drops_travel_as_their_own_key_and_the_carpstats_names_stay()
    {
        var snapshot = new CarpStatisticsSnapshot([.. Enumerable.Range(1, CarpStatistics.Count).Select(i => (long)i)], captureDrops: 42);

        var dto = ControlMapper.ToDto(snapshot);
        var back = ControlMapper.StatisticsFromDto(dto);

        Assert.Equal(42, dto["CaptureDrops"]);
        Assert.Equal([.. Enum.GetNames<CarpStatistic>(), "CaptureDrops"], dto.Keys);
        Assert.Equal(42, back.CaptureDrops);
        Assert.Equal(snapshot.Values, back.Values);
    }

    [Fact]
    public void An_older_carpd_without_the_key_reads_as_no_drops()
    {
        var dto = ControlMapper.ToDto(new CarpStatisticsSnapshot(new long[CarpStatistics.Count]));
        dto.Remove("CaptureDrops");

        Assert.Equal(0, ControlMapper.StatisticsFromDto(dto).CaptureDrops);
    }
}
