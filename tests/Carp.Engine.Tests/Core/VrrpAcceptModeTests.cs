using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>
/// VRRP's Accept_Mode (docs/protocol.md#vrrp-accept-mode): the core reports the virtual addresses a MASTER without it must
/// not take packets for, exactly while it is MASTER; the setting is VRRP's and refused on CARP.
/// </summary>
public sealed class VrrpAcceptModeTests : IDisposable
{
    private static readonly IPAddress[] Vips = [IPAddress.Parse("192.0.2.254")];
    private readonly CoreHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static VirtualHostConfig NoAccept() => VrrpPackets.Config() with { Accept = false };

    [Fact]
    public void A_master_without_accept_mode_refuses_its_addresses_after_its_takeover_advert_and_before_taking_them()
    {
        var host = _h.Add(NoAccept());
        Assert.Empty(_h.Output.AcceptRefused); // BACKUP: nothing to refuse

        _h.RunUntil(0.4);

        Assert.Equal(CarpState.Master, host.State);
        var refused = Assert.Single(_h.Output.AcceptRefused);
        Assert.Equal("carp1", refused.Host);
        Assert.Equal(Vips, refused.Addresses);
        Assert.Equal(1, refused.SentBefore);
        Assert.DoesNotContain(_h.Output.AddressChanges.Take(refused.AddressChangesBefore), c => c.Present); // BACKUP's removal only
        Assert.True(_h.Output.AddressChanges[^1].Present);
        Assert.Equal(Vips, host.AcceptRefused);
    }

    [Fact]
    public void Leaving_master_for_a_higher_priority_router_lifts_the_refusal()
    {
        var host = _h.Add(NoAccept());
        _h.RunUntil(0.4);
        _h.Output.Clear();

        _h.Receive(VrrpPackets.V4(priority: 200));

        Assert.Equal(CarpState.Backup, host.State);
        var lifted = Assert.Single(_h.Output.AcceptRefused);
        Assert.Equal("carp1", lifted.Host);
        Assert.Empty(lifted.Addresses);
        Assert.Empty(host.AcceptRefused);
    }

    [Fact]
    public void Removing_a_master_without_accept_mode_lifts_the_refusal()
    {
        _h.Add(NoAccept());
        _h.RunUntil(0.4);
        _h.Output.Clear();

        _h.Node.RemoveVirtualHost("carp1");

        Assert.Empty(Assert.Single(_h.Output.AcceptRefused).Addresses);
    }

    [Fact]
    public void With_accept_mode_on_the_default_nothing_is_ever_refused()
    {
        var host = _h.Add(VrrpPackets.Config());
        Assert.True(host.Config.Accept);

        _h.RunUntil(0.4);
        _h.Receive(VrrpPackets.V4(priority: 200));
        _h.Node.RemoveVirtualHost("carp1");

        Assert.Empty(_h.Output.AcceptRefused);
    }

    [Fact]
    public void Switching_accept_mode_on_a_running_master_takes_effect_at_once_and_the_addresses_follow_a_new_list()
    {
        var host = _h.Add(VrrpPackets.Config());
        _h.RunUntil(0.4);
        _h.Output.Clear();

        _h.Node.UpdateVirtualHost("carp1", new InterfaceChange { Accept = false }.ApplyTo(host.Config));
        Assert.Equal(Vips, Assert.Single(_h.Output.AcceptRefused).Addresses);

        _h.Node.UpdateVirtualHost("carp1", host.Config with { Addresses = [CarpAddress.Parse("192.0.2.253/24"), CarpAddress.Parse(Vip)] });
        Assert.Equal([IPAddress.Parse("192.0.2.253"), Vips[0]], _h.Output.AcceptRefused[^1].Addresses);

        _h.Node.UpdateVirtualHost("carp1", new InterfaceChange { Accept = true }.ApplyTo(host.Config));
        Assert.Empty(_h.Output.AcceptRefused[^1].Addresses);
        Assert.Equal(3, _h.Output.AcceptRefused.Count);
        Assert.Equal(CarpState.Master, host.State);
    }

    [Fact]
    public void Accept_on_a_carp_vhid_is_refused_and_nothing_changes()
    {
        var carp = Config();

        var error = Assert.Throws<CarpException>(() => new InterfaceChange { Accept = false }.ApplyTo(carp));

        Assert.Equal(CarpErrorCode.InvalidArgument, error.Code);
        Assert.Contains("accept", error.Message, StringComparison.Ordinal);
        Assert.True(carp.Accept);
    }

    [Fact]
    public void A_carp_vhid_with_accept_off_in_its_config_refuses_nothing()
    {
        _h.Add(Config() with { Accept = false });

        _h.RunUntil(4.0);

        Assert.Equal(CarpState.Master, _h.Node.Find("carp1")!.State);
        Assert.Empty(_h.Output.AcceptRefused);
    }

    [Fact]
    public void The_status_carries_accept_mode()
    {
        Assert.False(VirtualHostStatus.Of(NoAccept(), CarpState.Master).Accept);
        Assert.True(VirtualHostStatus.Of(VrrpPackets.Config(), CarpState.Master).Accept);
    }
}
