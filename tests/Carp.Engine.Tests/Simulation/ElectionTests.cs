using Carp.Engine.Core;
using Carp.Engine.Simulation;
using static Carp.Engine.Tests.Simulation.ScenarioBuilder;

namespace Carp.Engine.Tests.Simulation;

public class ElectionTests
{
    [Theory]
    [InlineData(1, 0)]
    [InlineData(1, 100)]
    [InlineData(2, 50)]
    [InlineData(5, 255 - 1)]
    public void Lone_node_becomes_master_at_exactly_three_advbase_plus_skew(byte advBase, byte advSkew)
    {
        var (lan, _, hosts) = Lan(1);
        hosts[0].Add(Vhost(advSkew, advBase: advBase));

        Assert.True(lan.RunUntil(() => Masters(hosts) == 1, TimeSpan.FromSeconds(30)));

        var expectedMicroseconds = (3 * advBase * 1_000_000L) + (advSkew * 1_000_000L / 256);
        var became = BecameMaster(lan, "one")!;
        Assert.Equal(TransitionReason.MasterDown, became.Reason);
        Assert.Equal(expectedMicroseconds * 10, became.At.Ticks);
        Assert.Contains(System.Net.IPAddress.Parse("192.0.2.254"), hosts[0].PresentAddresses);
    }

    [Fact]
    public void OpenBsd_profile_waits_three_full_intervals()
    {
        var (lan, _, hosts) = Lan(1);
        hosts[0].Add(Vhost(128, profile: CompatibilityProfile.OpenBsd));

        Assert.True(lan.RunUntil(() => Masters(hosts) == 1, TimeSpan.FromSeconds(30)));

        Assert.Equal(TimeSpan.FromSeconds(4.5), BecameMaster(lan, "one")!.At);
    }

    [Fact]
    public void Lone_master_advertises_then_announces_and_announces_again_after_two_more_adverts()
    {
        var (lan, _, hosts) = Lan(1);
        hosts[0].Add(Vhost());

        lan.RunFor(TimeSpan.FromSeconds(6.5));

        var afterMaster = lan.Timeline.SkipWhile(e => e.Kind != SimulationEventKind.StateChanged || e.NewState != CarpState.Master).ToList();
        var kinds = lan.Timeline.Where(e => e.At >= TimeSpan.FromSeconds(3) && e.Kind is SimulationEventKind.Advertisement or SimulationEventKind.Announce)
            .Select(e => (e.At.TotalSeconds, e.Kind)).ToList();
        Assert.Equal(
            [
                (3.0, SimulationEventKind.Advertisement), (3.0, SimulationEventKind.Announce),
                (4.0, SimulationEventKind.Advertisement),
                (5.0, SimulationEventKind.Advertisement), (5.0, SimulationEventKind.Announce),
                (6.0, SimulationEventKind.Advertisement),
            ],
            kinds);
        Assert.NotEmpty(afterMaster);
    }

    [Fact]
    public void Two_nodes_elect_the_one_that_advertises_more_often()
    {
        var (lan, _, hosts) = Lan(2);
        hosts[0].Add(Vhost(advSkew: 100));
        hosts[1].Add(Vhost(advSkew: 0));

        lan.RunFor(TimeSpan.FromSeconds(10));

        Assert.Equal(CarpState.Backup, hosts[0]["carp1"].State);
        Assert.Equal(CarpState.Master, hosts[1]["carp1"].State);
        Assert.Empty(hosts[0].PresentAddresses);
        Assert.Null(BecameMaster(lan, "one"));
    }

    [Fact]
    public void Master_death_hands_over_at_the_master_down_bound()
    {
        var (lan, _, hosts) = Lan(2);
        hosts[0].Add(Vhost(advSkew: 0));
        hosts[1].Add(Vhost(advSkew: 100));
        lan.RunFor(TimeSpan.FromSeconds(10));
        Assert.Equal(CarpState.Master, hosts[0]["carp1"].State);

        hosts[0].Crash();
        var crashedAt = lan.Now;
        var lastAdvert = lan.Timeline.Last(e => e.Host == "one" && e.Kind == SimulationEventKind.Advertisement).At;

        Assert.True(lan.RunUntil(() => hosts[1]["carp1"].State == CarpState.Master, TimeSpan.FromSeconds(10)));
        var takeover = BecameMaster(lan, "two", crashedAt)!;
        Assert.Equal(TransitionReason.MasterDown, takeover.Reason);
        var bound = TimeSpan.FromTicks(((3 * 1_000_000L) + (100 * 1_000_000L / 256)) * 10);
        Assert.Equal(lastAdvert + bound, takeover.At);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Preferred_master_returns_only_with_preempt(bool preempt)
    {
        var (lan, _, hosts) = Lan(2, preempt: preempt);
        var config = Vhost(advSkew: 0);
        hosts[0].Add(config);
        hosts[1].Add(Vhost(advSkew: 100));
        lan.RunFor(TimeSpan.FromSeconds(10));
        hosts[0].Crash();
        lan.RunFor(TimeSpan.FromSeconds(10));
        Assert.Equal(CarpState.Master, hosts[1]["carp1"].State);

        hosts[0].Restart([config]);
        lan.RunFor(TimeSpan.FromSeconds(10));

        Assert.Equal(preempt ? CarpState.Master : CarpState.Backup, hosts[0]["carp1"].State);
        Assert.Equal(preempt ? CarpState.Backup : CarpState.Master, hosts[1]["carp1"].State);
        Assert.Equal(1, Masters(hosts));
    }
}
