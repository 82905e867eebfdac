using Carp.Engine.Core;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>
/// A BACKUP's master-down timer runs from when the master's advert reached the host, not from when the engine got to it
/// (docs/protocol.md#arrival-time): a backup that was busy or cold when the last advert came must not take over late.
/// </summary>
public sealed class ArrivalTimeTests
{
    // FreeBSD profile, advbase 1, advskew 0: master-down 3 s after the last advert.
    private const double MasterDown = 3.0;

    [Fact]
    public void Master_down_runs_from_the_arrival_of_the_last_advert_not_from_its_processing()
    {
        using var h = new CoreHarness();
        var host = h.Add(Config());
        h.At(1);
        Assert.Equal(CarpState.Backup, host.State);

        // The advert arrived at 2.000 s; the engine processes it 4 ms later.
        h.Clock.AdvanceTo(Ts(2.004));
        h.Node.Receive(h.Eth0, Packets.V4(Packets.Header()), receivedAt: Ts(2.000));

        Assert.Equal(Ts(2.000 + MasterDown), h.Node.NextDeadline);
        h.At(2.000 + MasterDown - 0.000_001);
        Assert.Equal(CarpState.Backup, host.State);
        h.At(2.000 + MasterDown);
        Assert.Equal((CarpState.Master, TransitionReason.MasterDown), (host.State, host.LastTransitionReason));
    }

    [Fact]
    public void An_arrival_time_in_the_future_counts_as_now()
    {
        using var h = new CoreHarness();
        h.Add(Config());
        h.At(1);

        h.Clock.AdvanceTo(Ts(2.0));
        h.Node.Receive(h.Eth0, Packets.V4(Packets.Header()), receivedAt: Ts(2.5));

        Assert.Equal(Ts(2.0 + MasterDown), h.Node.NextDeadline);
    }

    [Fact]
    public void Without_an_arrival_time_the_advert_counts_as_arrived_now()
    {
        using var h = new CoreHarness();
        h.Add(Config());
        h.At(1);

        h.Clock.AdvanceTo(Ts(2.004));
        h.Receive(Packets.V4(Packets.Header()));

        Assert.Equal(Ts(2.004 + MasterDown), h.Node.NextDeadline);
    }
}
