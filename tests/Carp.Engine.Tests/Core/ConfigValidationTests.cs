using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using static Carp.Engine.Tests.Core.CoreHarness;

namespace Carp.Engine.Tests.Core;

/// <summary>VirtualHostConfig.Validate (docs/protocol.md#parameter-ranges ranges) and CarpNode.AddVirtualHost's refusals, which must change nothing.</summary>
public sealed class ConfigValidationTests : IDisposable
{
    private readonly CoreHarness _h = new();

    public void Dispose() => _h.Dispose();

    private static readonly VirtualHostConfig Valid = Config();

    private static CarpAddress[] Addresses(params string[] text) => text.Select(CarpAddress.Parse).ToArray();

    public static TheoryData<string, VirtualHostConfig, CarpErrorCode> Invalid() => new()
    {
        { "vhid 0", Valid with { Vhid = 0 }, CarpErrorCode.InvalidVhid },
        { "advbase 0", Valid with { AdvBase = 0 }, CarpErrorCode.InvalidAdvBase },
        { "advskew 255", Valid with { AdvSkew = 255 }, CarpErrorCode.InvalidAdvSkew },
        { "empty name", Valid with { Name = "" }, CarpErrorCode.InvalidInterfaceName },
        { "null name", Valid with { Name = null! }, CarpErrorCode.InvalidInterfaceName },
        { "space", Valid with { Name = "carp 1" }, CarpErrorCode.InvalidInterfaceName },
        { "slash", Valid with { Name = "carp/1" }, CarpErrorCode.InvalidInterfaceName },
        { "16 chars", Valid with { Name = "carp567890123456" }, CarpErrorCode.InvalidInterfaceName },
        { "non-ASCII", Valid with { Name = "cärp1" }, CarpErrorCode.InvalidInterfaceName },
        { "colon", Valid with { Name = "eth0:1" }, CarpErrorCode.InvalidInterfaceName },
        { "bad carpdev", Valid with { CarpDev = "eth 0" }, CarpErrorCode.UnknownCarpDev },
        { "empty carpdev", Valid with { CarpDev = "" }, CarpErrorCode.UnknownCarpDev },
        { "same v4 twice", Valid with { Addresses = Addresses("192.0.2.1/24", "192.0.2.2/24", "192.0.2.1/24") }, CarpErrorCode.InvalidAddress },
        { "same v4, other prefix", Valid with { Addresses = Addresses("192.0.2.1/24", "192.0.2.1/32") }, CarpErrorCode.InvalidAddress },
        { "same v6, other spelling", Valid with { Addresses = Addresses("2001:db8::1/64", "2001:db8:0:0::1/128") }, CarpErrorCode.InvalidAddress },
        { "peer is v6", Valid with { Peer = IPAddress.Parse("2001:db8::2") }, CarpErrorCode.InvalidAddress },
        { "peer6 is v4", Valid with { Peer6 = IPAddress.Parse("192.0.2.2") }, CarpErrorCode.InvalidAddress },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Validate_names_the_invalid_setting(string why, VirtualHostConfig config, CarpErrorCode code)
    {
        var e = Assert.Throws<CarpException>(config.Validate);

        Assert.True(code == e.Code, $"{why}: expected {code}, got {e.Code}");
        // The message names what is wrong in protocol terms; the front ends add what to do.
        Assert.Contains(SettingNamed(code), e.Message, StringComparison.OrdinalIgnoreCase);
    }

    private static string SettingNamed(CarpErrorCode code) => code switch
    {
        CarpErrorCode.InvalidVhid => "vhid",
        CarpErrorCode.InvalidAdvBase => "advbase",
        CarpErrorCode.InvalidAdvSkew => "advskew",
        CarpErrorCode.InvalidInterfaceName => "interface name",
        CarpErrorCode.UnknownCarpDev => "carpdev",
        CarpErrorCode.InvalidAddress => "address",
        _ => code.ToString(),
    };

    [Theory]
    [InlineData("carp1\n", "eth0")]
    [InlineData("carp1", "eth0\n")]
    public void Trailing_newline_is_not_part_of_a_valid_name(string name, string carpDev)
    {
        var e = Assert.Throws<CarpException>((Valid with { Name = name, CarpDev = carpDev }).Validate);

        Assert.Equal(name == "carp1" ? CarpErrorCode.UnknownCarpDev : CarpErrorCode.InvalidInterfaceName, e.Code);
        Assert.False(VirtualHostConfig.IsValidInterfaceName(name == "carp1" ? carpDev : name));
    }

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_config_is_refused_by_the_node_and_nothing_changes(string why, VirtualHostConfig config, CarpErrorCode code)
    {
        Assert.NotEmpty(why);
        var e = Assert.Throws<CarpException>(() => _h.Add(config));

        Assert.Equal(code, e.Code);
        Assert.Empty(_h.Node.VirtualHosts);
        Assert.Equal(0, _h.Eth0.Count);
        Assert.Equal(0, _h.Output.TotalCalls);
        Assert.Null(_h.Node.NextDeadline);
    }

    public static TheoryData<string, VirtualHostConfig> ValidEdges() => new()
    {
        { "vhid 1", Valid with { Vhid = 1 } },
        { "vhid 255", Valid with { Vhid = 255 } },
        { "advbase 255", Valid with { AdvBase = 255 } },
        { "advskew 254", Valid with { AdvSkew = 254 } },
        { "15-char names", Valid with { Name = "a.b-c_D01234567", CarpDev = "enp0s31f6.1234x" } },
        { "no address", Valid with { Addresses = [] } },
        { "dual stack", Valid with { Addresses = Addresses("192.0.2.1/24", "2001:db8::1/64", "fe80::1/64") } },
        { "unicast peers", Valid with { Peer = IPAddress.Parse("192.0.2.2"), Peer6 = IPAddress.Parse("fe80::2") } },
    };

    [Theory]
    [MemberData(nameof(ValidEdges))]
    public void Validate_accepts_the_edges_of_the_ranges(string why, VirtualHostConfig config)
    {
        Assert.NotEmpty(why);
        config.Validate();
    }

    [Fact]
    public void Vhost_without_an_address_stays_in_init()
    {
        var host = _h.Add(Config() with { Addresses = [] });

        Assert.Equal(CarpState.Init, host.State);
        Assert.Null(_h.Node.NextDeadline);
    }

    /// <summary>carp1 vhid 1 on eth0, already BACKUP; the outputs of adding it cleared.</summary>
    private VirtualHost Existing()
    {
        _h.Node.AddDevice("eth1", linkUp: true, Eth1V4, Eth1V6);
        var host = _h.Add(Config());
        _h.Output.Clear();
        return host;
    }

    private void AssertNothingChanged(VirtualHost existing)
    {
        Assert.Same(existing, Assert.Single(_h.Node.VirtualHosts));
        Assert.Same(existing, _h.Node.Find("carp1"));
        Assert.Equal(1, _h.Eth0.Count);
        Assert.Equal(0, _h.Node.FindDevice("eth1")!.Count);
        Assert.Equal(0, _h.Output.TotalCalls);
        Assert.Equal(CarpState.Backup, existing.State);
        Assert.Equal(Ts(3), _h.Node.NextDeadline);
        Assert.Equal(0, _h.Node.Sysctls.Demotion);

        // The existing vhost still owns its vhid on eth0.
        _h.Receive(Packets.V4(Packets.Header()));
        Assert.Equal(0, _h.Stats.BadVhid + _h.Stats.BadAuth);
    }

    [Fact]
    public void Duplicate_vhid_on_the_same_carpdev_is_refused()
    {
        var existing = Existing();

        var e = Assert.Throws<CarpException>(() => _h.Add(Config("carp2", vhid: 1, pass: "other", addresses: "198.51.100.1/24")));

        Assert.Equal(CarpErrorCode.DuplicateVhid, e.Code);
        Assert.Contains("carp1", e.Message, StringComparison.Ordinal);
        Assert.Null(_h.Node.Find("carp2"));
        AssertNothingChanged(existing);
    }

    [Fact]
    public void Same_vhid_on_another_carpdev_is_fine()
    {
        var existing = Existing();

        var other = _h.Add(Config("carp2", vhid: 1, device: "eth1"));

        Assert.Equal(2, _h.Node.VirtualHosts.Count);
        Assert.Equal(CarpState.Backup, other.State);
        Assert.Equal("eth1", other.Device.Name);
        Assert.Equal(1, _h.Node.FindDevice("eth1")!.Count);
        Assert.Equal(CarpState.Backup, existing.State);
    }

    [Fact]
    public void Unknown_carpdev_is_refused()
    {
        var existing = Existing();

        var e = Assert.Throws<CarpException>(() => _h.Add(Config("carp2", vhid: 2, device: "eth9")));

        Assert.Equal(CarpErrorCode.UnknownCarpDev, e.Code);
        Assert.Null(_h.Node.FindDevice("eth9"));
        AssertNothingChanged(existing);
    }

    [Theory]
    [InlineData("eth0", 2)]
    [InlineData("eth1", 2)]
    [InlineData("eth0", 1)]
    public void Duplicate_name_is_refused(string device, byte vhid)
    {
        var existing = Existing();

        var e = Assert.Throws<CarpException>(() => _h.Add(Config("carp1", vhid: vhid, device: device)));

        Assert.Equal(CarpErrorCode.InterfaceExists, e.Code);
        AssertNothingChanged(existing);
    }

    [Fact]
    public void Device_names_are_case_sensitive()
    {
        var existing = Existing();

        var e = Assert.Throws<CarpException>(() => _h.Add(Config("carp2", vhid: 2, device: "ETH0")));

        Assert.Equal(CarpErrorCode.UnknownCarpDev, e.Code);
        AssertNothingChanged(existing);
    }
}
