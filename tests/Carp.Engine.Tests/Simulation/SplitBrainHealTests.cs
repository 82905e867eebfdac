using Carp.Engine.Core;
using Carp.Engine.Simulation;
using static Carp.Engine.Tests.Simulation.ScenarioBuilder;

namespace Carp.Engine.Tests.Simulation;

/// <summary>A split brain heals into one master, and the winner learns of it (docs/protocol.md#split-brain-heal).</summary>
public class SplitBrainHealTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    public void Two_masters_that_meet_again_leave_the_better_one_and_it_learns_of_the_other_in_either_order(int seed)
    {
        // advskew 0 and 1: their advert timers drift by 1/256 s a second, so which advert crosses first after the heal
        // varies with the seed's phase: the winner hears the loser's advert, or the loser yields first and sends its last word.
        var (lan, link, hosts) = Lan(2, seed, preempt: true);
        (link.Delay, link.Jitter) = (TimeSpan.FromMilliseconds(0.1), TimeSpan.FromMilliseconds(2));
        hosts[0].Add(Vhost(advSkew: 0));
        lan.RunFor(TimeSpan.FromSeconds(4));
        hosts[1].Add(Vhost(advSkew: 1));
        lan.RunFor(TimeSpan.FromSeconds(3));
        link.Partition([hosts[0]], [hosts[1]]);
        Assert.True(lan.RunUntil(() => Masters(hosts) == 2, TimeSpan.FromSeconds(5)));
        lan.RunFor(TimeSpan.FromMilliseconds(seed * 173));

        var healedAt = lan.Now;
        link.Heal();
        Assert.True(lan.RunUntil(() => hosts[1]["carp1"].State == CarpState.Backup, TimeSpan.FromSeconds(2)));
        lan.RunFor(TimeSpan.FromSeconds(10));

        Assert.Equal(CarpState.Master, hosts[0]["carp1"].State);
        Assert.Equal(CarpState.Backup, hosts[1]["carp1"].State);
        Assert.Null(BecameMaster(lan, "two", healedAt));
        Assert.True(hosts[0]["carp1"].OtherMastersSeen >= 1, "the winner never learnt there was another master");
        // It answered: an announcement after the heal although it never changed state.
        Assert.Contains(lan.Timeline, e => e.Host == "one" && e.At >= healedAt && e.Kind == SimulationEventKind.Announce);
    }

    [Fact]
    public void The_losers_last_word_reaches_the_winner_alone_so_a_faster_backup_does_not_preempt_on_it()
    {
        // one (advskew 0) and three (50, BACKUP) on one side, two (100) alone on the other: two becomes master there.
        var (lan, link, hosts) = Lan(3, preempt: true);
        hosts[0].Add(Vhost(advSkew: 0));
        lan.RunFor(TimeSpan.FromSeconds(4));
        hosts[2].Add(Vhost(advSkew: 50));
        hosts[1].Add(Vhost(advSkew: 100));
        lan.RunFor(TimeSpan.FromSeconds(5));
        link.Partition([hosts[0], hosts[2]], [hosts[1]]);
        Assert.True(lan.RunUntil(() => hosts[1]["carp1"].State == CarpState.Master, TimeSpan.FromSeconds(5)),
            string.Join("; ", lan.Timeline.Where(e => e.Kind == SimulationEventKind.StateChanged)));
        var healedAt = lan.Now + TimeSpan.FromMilliseconds(10);
        lan.RunFor(TimeSpan.FromMilliseconds(10));

        link.Heal();
        Assert.True(lan.RunUntil(() => hosts[1]["carp1"].State == CarpState.Backup, TimeSpan.FromSeconds(2)));
        lan.RunFor(TimeSpan.FromSeconds(10));

        Assert.Equal(CarpState.Master, hosts[0]["carp1"].State);
        Assert.Null(BecameMaster(lan, "three", healedAt)); // three (50) would preempt on two's advert (100) had it heard it
        Assert.True(hosts[0]["carp1"].OtherMastersSeen >= 1, string.Join("; ", lan.Timeline.Where(e => e.At >= healedAt - TimeSpan.FromSeconds(1)).Take(20)));
    }
}
