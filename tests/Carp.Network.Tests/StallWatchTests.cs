using System.Diagnostics;
using Carp.Engine.Core;
using Carp.Linux;

namespace Carp.Network.Tests;

/// <summary>
/// The guardian's stall timeout: each master's lies halfway between its longest advert gap and a peer's shortest
/// master-down, the shortest held counts, and only adverts beat (docs/ARCHITECTURE.md#address-guardian).
/// </summary>
public sealed class StallWatchTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void The_timeout_is_the_shortest_held_through_holds_changes_and_releases()
    {
        var watch = new StallWatch();
        watch.Reserve(4);

        Assert.Equal(2 * Second, watch.Hold("carp1", 2 * Second, 0));
        Assert.Null(watch.Hold("carp2", 6 * Second, 0));
        Assert.Equal(Second, watch.Hold("carp3", Second, 0));
        Assert.Equal(2 * Second, watch.Hold("carp3", 8 * Second, 0)); // changed: no longer the shortest
        Assert.Null(watch.Hold("carp2", null, 0));
        Assert.Equal(8 * Second, watch.Hold("carp1", null, 0)); // the shortest left: the next one counts
        Assert.Equal(TimeSpan.Zero, watch.Hold("carp3", null, 0));
        Assert.Null(watch.Hold("carp3", null, 0)); // released twice: nothing changes
    }

    [Theory]
    [InlineData(1, 0, 2469)] // halfway between 1 + 240/256 s (most demoted) and 3 s
    [InlineData(1, 100, 2469)]
    [InlineData(1, 254, 2496)] // an advskew above 240 stays
    [InlineData(3, 0, 6469)]
    public void A_carp_master_times_out_halfway_between_its_longest_advert_gap_and_a_peers_master_down(byte advBase, byte advSkew, int milliseconds)
    {
        var timeout = StallWatch.TimeoutFor(new VirtualHostConfig { Name = "carp1", Vhid = 1, CarpDev = "eth0", AdvBase = advBase, AdvSkew = advSkew });

        Assert.Equal(milliseconds, timeout.TotalMilliseconds, 0.5);
        Assert.InRange(timeout.TotalSeconds, advBase + (Math.Max(advSkew, (byte)240) / 256.0), 3.0 * advBase);
    }

    [Theory]
    [InlineData(100, 2000)] // VRRP: twice the interval, between the interval and a peer's three
    [InlineData(5, 400)] // below 200 ms the interval counts as 200 ms: beats go out at most every 100 ms
    public void A_vrrp_master_times_out_after_two_intervals_of_at_least_200_ms(int centiseconds, int milliseconds)
    {
        var config = new VirtualHostConfig { Name = "vrrp1", Vhid = 1, CarpDev = "eth0", Protocol = VirtualHostProtocol.Vrrp, Interval = (ushort)centiseconds };

        Assert.Equal(milliseconds, StallWatch.TimeoutFor(config).TotalMilliseconds, 0.5);
    }

    [Fact]
    public void Only_adverts_beat_and_a_turn_long_after_the_last_one_counts_as_revoked()
    {
        var watch = new StallWatch();
        long s = Stopwatch.Frequency;
        _ = watch.Hold("carp1", 2 * Second, 0);

        Assert.False(watch.Advertised(s / 20)); // within 100 ms of the clock's start (the stall line)
        Assert.True(watch.Advertised(s));
        Assert.False(watch.Turn(2 * s)); // a turn is no beat: one second after the last advert
        Assert.True(watch.Turn(s + (2 * s)));
        Assert.False(watch.Advertised(4 * s)); // nobody holds addresses after the revocation
    }

    [Fact]
    public void After_a_revocation_nobody_holds_and_the_next_holder_alone_sets_the_timeout()
    {
        var watch = new StallWatch();
        _ = watch.Hold("carp1", Second / 2, 0);
        watch.Revoked(watch.Generation);

        Assert.True(watch.Turn(0));
        Assert.Equal(6 * Second, watch.Hold("carp2", 6 * Second, 0));
    }
}
