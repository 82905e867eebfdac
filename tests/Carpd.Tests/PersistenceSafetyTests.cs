using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carpd.Configuration;
using Carp.Control;
using Carp.Engine.Protocol;

namespace Carpd.Tests;

/// <summary>What carpd writes back must always load again, and must hold only what the administrator set.</summary>
public sealed class PersistenceSafetyTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeCarpService _fake = new();

    public void Dispose() => _dir.Dispose();

    private static VirtualHostConfig Config(string name, byte vhid, string dev = "eth0") => new()
    {
        Name = name, Vhid = vhid, CarpDev = dev, Key = CarpKey.FromPassphrase("lanpasswd"), Addresses = [CarpAddress.Parse("192.0.2.100/24")],
    };

    private (PersistingCarpService Service, string Path) Start(string text, bool startInterfaces = true)
    {
        var path = _dir.Write("carpd.conf", text);
        var config = CarpdConfiguration.Load(path);
        if (startInterfaces)
        {
            foreach (var vhost in config.Interfaces)
            {
                _fake.CreateInterface(vhost);
            }
        }

        return (new PersistingCarpService(_fake, config, path), path);
    }

    [Fact]
    public void Automatic_demotion_is_not_saved_when_another_sysctl_is_written()
    {
        var (service, path) = Start("carp1 vhid 1 carpdev eth0 pass lanpasswd 192.0.2.100/24\n");
        _fake.SetSysctl("demotion", 240); // what a carpdev going down does inside the engine

        service.SetSysctl("log", 2);

        var saved = CarpdConfiguration.Load(path);
        Assert.Equal(0, saved.Sysctls.Demotion);
        Assert.Equal(2, saved.Sysctls.Log);
        Assert.DoesNotContain("demotion", File.ReadAllText(path), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("vhid")]
    [InlineData("pass")]
    public void An_interface_whose_saved_line_would_not_load_is_refused_before_the_engine_sees_it(string name)
    {
        var (service, path) = Start("carp1 vhid 1 carpdev eth0 pass lanpasswd 192.0.2.100/24\n");
        var before = File.ReadAllText(path);
        var calls = _fake.Calls.Count;

        Assert.Throws<CarpException>(() => service.CreateInterface(Config(name, 5)));

        Assert.Equal(before, File.ReadAllText(path));
        Assert.Equal(calls, _fake.Calls.Count);
        Assert.NotNull(CarpdConfiguration.Load(path));
    }

    [Fact]
    public void A_configured_interface_that_failed_to_start_keeps_its_vhid_and_can_be_removed()
    {
        var (service, path) = Start("carp7 vhid 2 carpdev eth1 pass lanpasswd 198.51.100.10/24\n", startInterfaces: false);

        var clash = Assert.Throws<CarpException>(() => service.CreateInterface(Config("carp8", 2, "eth1")));
        Assert.Equal(CarpErrorCode.DuplicateVhid, clash.Code);

        service.RemoveInterface("carp7");
        Assert.Empty(CarpdConfiguration.Load(path).Interfaces);
    }

    [Fact]
    public void Temporary_files_of_an_interrupted_save_are_removed_at_start()
    {
        var leftover = _dir.Write(".carpd.conf.4242.0123456789abcdef.tmp", "carp1 vhid 1 carpdev eth0 pass lanpasswd 192.0.2.100/24\n");

        Start("net.inet.carp.preempt=1\n");

        Assert.False(File.Exists(leftover));
    }

    [Fact]
    public void Interface_groups_must_be_distinct_names()
    {
        Assert.Equal(CarpErrorCode.InvalidArgument, Assert.Throws<CarpException>(() => (Config("carp1", 1) with { Groups = ["a b"] }).Validate()).Code);
        Assert.Equal(CarpErrorCode.InvalidArgument, Assert.Throws<CarpException>(() => (Config("carp1", 1) with { Groups = ["lan", "lan"] }).Validate()).Code);
        (Config("carp1", 1) with { Groups = ["lan", "wan"] }).Validate();
    }

    [Fact]
    public void Numbers_for_enums_and_unforceable_states_are_refused_on_the_control_socket()
    {
        var badMode = new InterfaceConfigDto { Name = "carp1", Vhid = 1, CarpDev = "eth0", MacMode = (MacMode)7 };
        var badState = new InterfaceChangeDto { Name = "carp1", State = CarpState.Init };

        Assert.Equal(CarpErrorCode.InvalidArgument, Assert.Throws<CarpException>(() => ControlMapper.FromDto(badMode)).Code);
        Assert.Equal(CarpErrorCode.InvalidArgument, Assert.Throws<CarpException>(() => ControlMapper.FromDto(badState)).Code);
    }

    [Fact]
    public void A_stray_word_is_not_quoted_in_the_error_because_it_may_be_part_of_a_pass()
    {
        var error = Assert.Throws<CarpdConfigurationException>(() =>
            CarpdConfiguration.Parse("carp1 vhid 1 carpdev eth0 pass lan passwdx 192.0.2.100/24\n"));

        Assert.DoesNotContain("passwdx", error.Message, StringComparison.Ordinal);
        Assert.Contains("carpd.conf:1:", error.Message, StringComparison.Ordinal);
    }
}
