using System.Net;
using System.Net.Sockets;
using Carp.Engine.Core;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>
/// A virtual host never runs without a source address for every family it carries (docs/protocol.md#source-address):
/// it stays in INIT, sends and adds nothing, and starts as usual once the carpdev has the address.
/// </summary>
public sealed class SourceAddressTests : IDisposable
{
    private readonly CoreHarness _h = new();

    public void Dispose() => _h.Dispose();

    [Fact]
    public void An_IPv6_vip_on_a_carpdev_without_IPv6_stays_INIT_and_sends_and_adds_nothing()
    {
        _h.Node.AddDevice("eth1", linkUp: true, Eth1V4);
        var host = _h.Add(Config(device: "eth1", addresses: Vip6));

        _h.RunUntil(30);

        Assert.Equal((CarpState.Init, TransitionReason.NoSourceAddress), (host.State, host.LastTransitionReason));
        Assert.Empty(_h.Output.StateChanges);
        Assert.Empty(_h.Output.Sent);
        Assert.DoesNotContain(_h.Output.AddressChanges, c => c.Present);
        Assert.Empty(_h.Output.Announcements);
        Assert.Null(host.NextDeadline);
        Assert.Equal(0, _h.Stats.ONoMem);
        Assert.Equal(0, host.Transitions);
    }

    [Fact]
    public void A_host_carrying_both_families_needs_both_sources()
    {
        _h.Node.AddDevice("eth1", linkUp: true, Eth1V4);
        var host = _h.Add(Config(device: "eth1", addresses: [Vip, Vip6]));

        _h.RunUntil(10);

        Assert.Equal((CarpState.Init, TransitionReason.NoSourceAddress), (host.State, host.LastTransitionReason));
        Assert.Empty(_h.Output.Sent);
    }

    [Fact]
    public void Forcing_MASTER_without_a_source_does_nothing()
    {
        _h.Node.AddDevice("eth1", linkUp: true, Eth1V4);
        var host = _h.Add(Config(device: "eth1", addresses: Vip6));

        _h.Node.Force("carp1", CarpState.Master);

        Assert.Equal(CarpState.Init, host.State);
        Assert.Equal(0, _h.Output.TotalCalls);
    }

    [Fact]
    public void Gaining_the_source_starts_it_BACKUP_then_MASTER_with_adverts_of_that_family()
    {
        _h.Node.AddDevice("eth1", linkUp: true, Eth1V4);
        var host = _h.Add(Config(device: "eth1", addresses: Vip6));
        _h.RunUntil(5);

        _h.Node.SetDeviceSources("eth1", Eth1V4, Eth1V6);

        var started = Assert.Single(_h.Output.StateChanges);
        Assert.Equal(new RecordingOutput.StateChange("carp1", CarpState.Init, CarpState.Backup, TransitionReason.Started), started);
        _h.RunUntil(5 + 3.5);
        Assert.Equal((CarpState.Master, TransitionReason.MasterDown), (host.State, host.LastTransitionReason));
        Assert.NotEmpty(_h.Output.Sent);
        Assert.All(_h.Output.Sent, s => Assert.Equal(AddressFamily.InterNetworkV6, s.Family));
        Assert.Contains(_h.Output.AddressChanges, c => c.Present && c.Addresses.SequenceEqual(host.Config.Addresses));
        Assert.Equal(0, _h.Stats.ONoMem);
    }

    [Fact]
    public void A_master_that_loses_its_source_goes_INIT_and_back_to_BACKUP_when_it_returns()
    {
        var host = _h.Add(Config());
        _h.RunUntil(3.5);
        Assert.Equal(CarpState.Master, host.State);

        _h.Node.SetDeviceSources("eth0", null, _h.Eth0.SourceV6);
        _h.RunUntil(20);

        Assert.Equal((CarpState.Init, TransitionReason.NoSourceAddress), (host.State, host.LastTransitionReason));
        var sentWhileMaster = _h.Output.Sent.Count;
        Assert.Equal(0, _h.Stats.ONoMem);

        _h.Node.SetDeviceSources("eth0", IPAddress.Parse("192.0.2.1"), _h.Eth0.SourceV6);
        Assert.Equal((CarpState.Backup, TransitionReason.Started), (host.State, host.LastTransitionReason));
        Assert.Equal(sentWhileMaster, _h.Output.Sent.Count);
    }

    [Fact]
    public void A_new_source_address_leaves_a_running_master_and_its_timers_alone()
    {
        var host = _h.Add(Config());
        _h.RunUntil(3.5);
        var deadline = host.NextDeadline;
        _h.Output.Clear();

        _h.Node.SetDeviceSources("eth0", IPAddress.Parse("192.0.2.2"), _h.Eth0.SourceV6);

        Assert.Equal(CarpState.Master, host.State);
        Assert.Equal(deadline, host.NextDeadline);
        Assert.Equal(0, _h.Output.TotalCalls);
        Assert.Equal(IPAddress.Parse("192.0.2.2"), _h.Eth0.SourceV4);
    }

    [Fact]
    public void The_snapshot_carries_capture_drops_beside_the_16_counters()
    {
        var snapshot = _h.Node.Statistics.Snapshot(captureDrops: 7);

        Assert.Equal(7, snapshot.CaptureDrops);
        Assert.Equal(CarpStatistics.Count, snapshot.Values.Count);
        Assert.Equal(0, _h.Node.Statistics.Snapshot().CaptureDrops);
    }
}
