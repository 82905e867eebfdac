using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carp.Network.Tests.Scenarios;

/// <summary>
/// A virtual host whose carpdev has no address of a family it carries cannot advertise in it, so it must not run
/// (docs/protocol.md#source-address): it stays INIT, puts no address up and never becomes MASTER; once the carpdev
/// gets the address it advertises from it and runs as usual. The captures' drop count travels with the statistics.
/// </summary>
public sealed class SourceAddressScenarios
{
    private static VirtualHostConfig Config(string address) => new()
    {
        Name = "carp1",
        Vhid = 1,
        CarpDev = "eth0",
        Key = CarpKey.FromPassphrase("foobar"),
        Addresses = [CarpAddress.Parse(address)],
    };

    [Fact]
    public async Task An_IPv6_vip_on_a_carpdev_with_IPv6_disabled_stays_INIT_and_never_MASTER()
    {
        using var s = new Scenario(nodes: 1);
        var ns = s.Node(1).Namespace;
        s.Exec(ns, "sysctl", "-w", "net.ipv6.conf.eth0.disable_ipv6=1").EnsureSuccess();
        var watch = s.Watch(s.Node(1));
        var node = s.Engine("A", ns);
        var master = node.Events.When(e => e is CarpStateChangedEvent { NewState: CarpState.Master });

        var created = node.Create(Config("2001:db8::100/64"));

        Assert.Equal((CarpState.Init, TransitionReason.NoSourceAddress), (created.State, created.LastTransitionReason));
        // Five seconds is more than the master-down interval (3 s) a running host would have waited.
        await Assert.ThrowsAsync<TimeoutException>(() => master.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
        var status = node.Status();
        Assert.Equal((CarpState.Init, TransitionReason.NoSourceAddress, 0L), (status.State, status.LastTransitionReason, status.Transitions));
        Assert.Empty(s.InterfacesWith(ns, "2001:db8::100"));
        Assert.Empty(watch.Adverts.Snapshot());
        var stats = node.Stats;
        Assert.Equal((0L, 0L, 0L), (stats.OPackets6, stats.ONoMem, stats.CaptureDrops));
    }

    [Fact]
    public void A_carpdev_that_gets_its_IPv4_address_after_start_begins_to_advertise_and_one_that_loses_it_stops()
    {
        using var s = new Scenario(nodes: 1);
        var ns = s.Node(1).Namespace;
        s.Exec(ns, "ip", "-4", "addr", "flush", "dev", "eth0").EnsureSuccess();
        var watch = s.Watch(s.Node(1));
        var node = s.Engine("A", ns);

        var created = node.Create(Config("192.0.2.100/24"));
        Assert.Equal((CarpState.Init, TransitionReason.NoSourceAddress), (created.State, created.LastTransitionReason));

        var added = Clock.Now;
        s.Exec(ns, "ip", "addr", "add", "192.0.2.50/24", "dev", "eth0").EnsureSuccess();
        node.WaitState(CarpState.Backup, TimeSpan.FromSeconds(5), added);
        var master = node.WaitState(CarpState.Master, TimeSpan.FromSeconds(8), added);
        var advert = watch.WaitCount(1, TimeSpan.FromSeconds(5), added, a => a.Vhid == 1);
        Assert.Equal(IPAddress.Parse("192.0.2.50"), advert.Item.Source);
        Assert.Equal(TransitionReason.MasterDown, master.Item.Reason);
        Assert.Equal(["carp1"], s.InterfacesWith(ns, "192.0.2.100"));

        var removed = Clock.Now;
        s.Exec(ns, "ip", "-4", "addr", "flush", "dev", "eth0").EnsureSuccess();
        var stopped = node.WaitState(CarpState.Init, TimeSpan.FromSeconds(5), removed);
        Assert.Equal(TransitionReason.NoSourceAddress, stopped.Item.Reason);
        Assert.True(Scenario.Eventually(() => s.InterfacesWith(ns, "192.0.2.100").Length == 0, TimeSpan.FromSeconds(2)), "the VIP stayed up in INIT");
        Assert.Equal(0, node.Stats.ONoMem);
    }

    [Fact]
    public void Capture_drops_are_in_the_statistics_and_zero_on_a_quiet_wire()
    {
        using var s = new Scenario(nodes: 1);
        var node = s.Engine("A", s.Node(1).Namespace);
        node.Create(Config("192.0.2.100/24"));
        node.WaitState(CarpState.Master, TimeSpan.FromSeconds(8));

        var stats = node.Stats;

        Assert.True(stats.OPackets >= 1, "no advert sent");
        Assert.Equal(0, stats.CaptureDrops);
    }
}
