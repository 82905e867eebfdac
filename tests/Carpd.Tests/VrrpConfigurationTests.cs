using System.Text.Json;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;
using Carpd.Configuration;

namespace Carpd.Tests;

/// <summary>VRRPv3 in carpd's configuration file (FreeBSD's words carpver, vrrpprio, vrrpinterval) and on its control socket.</summary>
public sealed class VrrpConfigurationTests
{
    [Fact]
    public void Parses_freebsds_words_and_writes_them_back()
    {
        var text = """
            vrrp1 vhid 10 carpdev eth0 carpver 3 vrrpprio 200 vrrpinterval 10 192.0.2.1/24
            vrrp2 vhid 11 carpdev eth0 carpver 3 vrrpprio 100 vrrpinterval 5 nopreempt vrrpchecksum v2 fe80::1/64 2001:db8::1/64
            carp1 vhid 1 carpdev eth0 carpver 2 pass x 198.51.100.1/24
            """;

        var config = CarpdConfiguration.Parse(text, "test.conf", "/");

        var vrrp1 = config.Find("vrrp1")!;
        Assert.Equal((VirtualHostProtocol.Vrrp, (byte)200, (ushort)10, true, VrrpChecksumMode.PseudoHeader),
            (vrrp1.Protocol, vrrp1.Priority, vrrp1.Interval, vrrp1.Preempt, vrrp1.VrrpChecksum));
        var vrrp2 = config.Find("vrrp2")!;
        Assert.Equal((VirtualHostProtocol.Vrrp, (byte)100, (ushort)5, false, VrrpChecksumMode.MessageOnly),
            (vrrp2.Protocol, vrrp2.Priority, vrrp2.Interval, vrrp2.Preempt, vrrp2.VrrpChecksum));
        Assert.Equal(VirtualHostProtocol.Carp, config.Find("carp1")!.Protocol);

        var written = config.Format();
        Assert.Contains("vrrp1 vhid 10 carpdev eth0 carpver 3 vrrpprio 200 vrrpinterval 10 192.0.2.1/24", written, StringComparison.Ordinal);
        Assert.Contains("carpver 3 vrrpprio 100 vrrpinterval 5 nopreempt vrrpchecksum v2", written, StringComparison.Ordinal);
        var again = CarpdConfiguration.Parse(written, "again.conf", "/");
        Assert.Equal(config.Interfaces.Select(Fields), again.Interfaces.Select(Fields));
        Assert.Contains(config.Describe(), l => l.Contains("vrrp2: VRRPv3 vhid 11 carpdev eth0 priority 100 interval 5 cs nopreempt checksum v2", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("vrrp1 vhid 1 carpdev eth0 carpver 4 192.0.2.1/24", CarpErrorCode.InvalidArgument, "carpver must be 2 (CARP) or 3")]
    [InlineData("vrrp1 vhid 1 carpdev eth0 carpver 3 vrrpprio 255 192.0.2.1/24", CarpErrorCode.InvalidPriority, "priority 255 is not valid")]
    [InlineData("vrrp1 vhid 1 carpdev eth0 carpver 3 vrrpprio 300 192.0.2.1/24", CarpErrorCode.InvalidPriority, "vrrpprio must be a number")]
    [InlineData("vrrp1 vhid 1 carpdev eth0 carpver 3 vrrpinterval 0 192.0.2.1/24", CarpErrorCode.InvalidInterval, "interval 0 is not valid")]
    [InlineData("vrrp1 vhid 1 carpdev eth0 carpver 3 vrrpinterval 4096 192.0.2.1/24", CarpErrorCode.InvalidInterval, "interval 4096 is not valid")]
    [InlineData("vrrp1 vhid 1 carpdev eth0 carpver 3 pass s3cret 192.0.2.1/24", CarpErrorCode.InvalidPass, "VRRPv3 has no authentication")]
    [InlineData("vrrp1 vhid 1 carpdev eth0 carpver 3 192.0.2.1/24 2001:db8::1/64", CarpErrorCode.InvalidAddress, "one family")]
    [InlineData("vrrp1 vhid 1 carpdev eth0 carpver 3 vrrpchecksum rfc 192.0.2.1/24", CarpErrorCode.InvalidArgument, "vrrpchecksum must be")]
    public void Bad_vrrp_settings_are_refused_with_their_code(string line, CarpErrorCode code, string fragment)
    {
        var error = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Parse(line, "test.conf", "/"));

        Assert.Equal(code, error.Code);
        Assert.Contains(fragment, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("s3cret", error.Message + error.RecommendedAction, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vrrp_config_and_status_cross_the_control_socket_unchanged()
    {
        var config = new VirtualHostConfig
        {
            Name = "vrrp1", Vhid = 10, CarpDev = "eth0", Protocol = VirtualHostProtocol.Vrrp, Priority = 200, Interval = 10,
            Preempt = false, VrrpChecksum = VrrpChecksumMode.MessageOnly, Addresses = [CarpAddress.Parse("192.0.2.1/24")],
        };

        var json = JsonSerializer.Serialize(ControlMapper.ToDto(config), CarpdJsonContext.Default.InterfaceConfigDto);
        var back = ControlMapper.FromDto(JsonSerializer.Deserialize(json, CarpdJsonContext.Default.InterfaceConfigDto)!);

        Assert.Contains("\"protocol\":\"Vrrp\"", json, StringComparison.Ordinal);
        Assert.Equal(Fields(config), Fields(back));
        var status = VirtualHostStatus.Of(config, CarpState.Backup) with { MasterAdverInterval = 20, MasterSeenPriority = 0 };
        var statusJson = JsonSerializer.Serialize(ControlMapper.ToDto(status), CarpdJsonContext.Default.InterfaceStatusDto);
        var statusBack = ControlMapper.FromDto(JsonSerializer.Deserialize(statusJson, CarpdJsonContext.Default.InterfaceStatusDto)!);
        Assert.Equal((VirtualHostProtocol.Vrrp, (byte)200, (ushort)10, false, VrrpChecksumMode.MessageOnly, (ushort?)20, (byte?)0),
            (statusBack.Protocol, statusBack.Priority, statusBack.Interval, statusBack.Preempt, statusBack.VrrpChecksum, statusBack.MasterAdverInterval, statusBack.MasterSeenPriority));
    }

    private static string Fields(VirtualHostConfig c) =>
        $"{c.Name} {c.Vhid} {c.CarpDev} {c.Protocol} {c.Priority} {c.Interval} {c.Preempt} {c.VrrpChecksum} {c.Key} {string.Join(",", c.Addresses)}";

    [Fact]
    public void A_change_to_another_protocol_is_refused_before_anything_else()
    {
        var carp = new VirtualHostConfig { Name = "carp1", Vhid = 1, CarpDev = "eth0", Key = CarpKey.FromPassphrase("x") };

        var error = Assert.Throws<CarpException>(() => new InterfaceChange { Protocol = VirtualHostProtocol.Vrrp }.ApplyTo(carp));

        Assert.Equal(CarpErrorCode.ProtocolFixed, error.Code);
        Assert.Contains("carp1 speaks CARP", error.Message, StringComparison.Ordinal);
    }
}
