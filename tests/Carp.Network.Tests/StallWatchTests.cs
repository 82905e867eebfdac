using Carp.Linux;

namespace Carp.Network.Tests;

/// <summary>The guardian's stall timeout follows the shortest advert interval of the hosts holding addresses (docs/ARCHITECTURE.md#address-guardian).</summary>
public sealed class StallWatchTests
{
    private static readonly TimeSpan Second = TimeSpan.FromSeconds(1);

    [Fact]
    public void The_timeout_is_twice_the_shortest_interval_held_through_holds_changes_and_releases()
    {
        var watch = new StallWatch();
        watch.Reserve(4);

        Assert.Equal(2 * Second, watch.Hold("carp1", Second, 0));
        Assert.Null(watch.Hold("carp2", 3 * Second, 0));
        Assert.Equal(TimeSpan.FromSeconds(1), watch.Hold("carp3", Second / 2, 0));
        Assert.Equal(2 * Second, watch.Hold("carp3", 4 * Second, 0)); // changed: no longer the shortest
        Assert.Null(watch.Hold("carp2", null, 0));
        Assert.Equal(8 * Second, watch.Hold("carp1", null, 0)); // the shortest left: the next one counts
        Assert.Equal(TimeSpan.Zero, watch.Hold("carp3", null, 0));
        Assert.Null(watch.Hold("carp3", null, 0)); // released twice: nothing changes
    }

    [Fact]
    public void After_a_revocation_nobody_holds_and_the_next_holder_alone_sets_the_timeout()
    {
        var watch = new StallWatch();
        _ = watch.Hold("carp1", Second / 4, 0);
        watch.Revoked(watch.Generation);

        Assert.Equal((false, true), watch.Turn(0));
        Assert.Equal(6 * Second, watch.Hold("carp2", 3 * Second, 0));
    }
}
