using System.Text.Json;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carpd.Configuration;

namespace Carpd.Tests;

/// <summary>VRRP's Accept_Mode (docs/protocol.md#vrrp-accept-mode) in carpd's configuration file (<c>noaccept</c>) and on its control socket.</summary>
public sealed class VrrpAcceptConfigurationTests
{
    private const string Text = """
        vrrp1 vhid 10 carpdev eth0 carpver 3 vrrpprio 200 noaccept 192.0.2.1/24
        vrrp2 vhid 11 carpdev eth0 carpver 3 vrrpprio 100 nopreempt NoAccept 2001:db8::1/64
        vrrp3 vhid 12 carpdev eth0 carpver 3 198.51.100.1/24
        """;

    [Fact]
    public void Noaccept_is_parsed_written_back_and_described()
    {
        var config = CarpdConfiguration.Parse(Text, "test.conf", "/");

        Assert.False(config.Find("vrrp1")!.Accept);
        Assert.Equal((false, false), (config.Find("vrrp2")!.Accept, config.Find("vrrp2")!.Preempt));
        Assert.True(config.Find("vrrp3")!.Accept); // on by default, as keepalived without vrrp_strict

        var written = config.Format();
        Assert.Contains("vrrp1 vhid 10 carpdev eth0 carpver 3 vrrpprio 200 vrrpinterval 100 noaccept 192.0.2.1/24", written, StringComparison.Ordinal);
        Assert.Contains("vrrpinterval 100 nopreempt noaccept 2001:db8::1/64", written, StringComparison.Ordinal);
        Assert.DoesNotContain("noaccept 198.51.100.1", written, StringComparison.Ordinal);
        var again = CarpdConfiguration.Parse(written, "again.conf", "/");
        Assert.Equal(config.Interfaces.Select(c => (c.Name, c.Accept)), again.Interfaces.Select(c => (c.Name, c.Accept)));
        Assert.Contains(config.Describe(), l => l.Contains("vrrp1: VRRPv3 vhid 10 carpdev eth0 priority 200 interval 100 cs noaccept", StringComparison.Ordinal));
    }

    [Fact]
    public void Noaccept_given_twice_is_refused()
    {
        var error = Assert.Throws<CarpdConfigurationException>(() =>
            CarpdConfiguration.Parse("vrrp1 vhid 1 carpdev eth0 carpver 3 noaccept noaccept 192.0.2.1/24", "test.conf", "/"));

        Assert.Equal(CarpErrorCode.InvalidArgument, error.Code);
        Assert.Contains("'noaccept' is given twice", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reload_that_adds_or_drops_noaccept_changes_accept_mode_alone()
    {
        var running = CarpdConfiguration.Parse(Text, "test.conf", "/").Find("vrrp1")!;

        var on = ConfigurationDiff.ChangeBetween(running, running with { Accept = true });
        var off = ConfigurationDiff.ChangeBetween(running with { Accept = true }, running);

        Assert.Equal((true, (byte?)null, (bool?)null), (on!.Accept, on.Priority, on.Preempt));
        Assert.False(off!.Accept);
        Assert.Null(ConfigurationDiff.ChangeBetween(running, running with { }));
    }

    [Fact]
    public void Accept_mode_crosses_the_control_socket_in_config_change_and_status()
    {
        var config = CarpdConfiguration.Parse(Text, "test.conf", "/").Find("vrrp1")!;

        var json = JsonSerializer.Serialize(ControlMapper.ToDto(config), CarpdJsonContext.Default.InterfaceConfigDto);
        Assert.Contains("\"accept\":false", json, StringComparison.Ordinal);
        Assert.False(ControlMapper.FromDto(JsonSerializer.Deserialize(json, CarpdJsonContext.Default.InterfaceConfigDto)!).Accept);
        var onJson = JsonSerializer.Serialize(ControlMapper.ToDto(config with { Accept = true }), CarpdJsonContext.Default.InterfaceConfigDto);
        Assert.DoesNotContain("accept", onJson, StringComparison.Ordinal); // the default is not written
        Assert.True(ControlMapper.FromDto(JsonSerializer.Deserialize(onJson, CarpdJsonContext.Default.InterfaceConfigDto)!).Accept);

        var changeJson = JsonSerializer.Serialize(ControlMapper.ToDto(new InterfaceChange { Accept = true }, "vrrp1"), CarpdJsonContext.Default.InterfaceChangeDto);
        Assert.True(ControlMapper.FromDto(JsonSerializer.Deserialize(changeJson, CarpdJsonContext.Default.InterfaceChangeDto)!).Change.Accept);

        var status = VirtualHostStatus.Of(config, CarpState.Master);
        var statusJson = JsonSerializer.Serialize(ControlMapper.ToDto(status), CarpdJsonContext.Default.InterfaceStatusDto);
        Assert.False(ControlMapper.FromDto(JsonSerializer.Deserialize(statusJson, CarpdJsonContext.Default.InterfaceStatusDto)!).Accept);
    }
}
