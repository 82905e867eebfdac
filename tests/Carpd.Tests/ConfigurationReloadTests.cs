using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carpd.Configuration;

namespace Carpd.Tests;

/// <summary>
/// A reload of carpd's configuration file against the in-process engine on an in-memory LAN: only what
/// changed reaches the engine, a broken file changes nothing, and the reloaded file is what a later
/// run-time change saves on top of.
/// </summary>
public sealed class ConfigurationReloadTests : IDisposable
{
    private const string Original =
        "# site A\nnet.inet.carp.preempt=1\n" +
        "carp1 vhid 1 carpdev eth0 pass lanpasswd 192.0.2.100/24\n" +
        "carp2 vhid 2 carpdev eth0 pass wanpasswd advskew 100 198.51.100.10/24\n";

    private readonly TempDirectory _dir = new();
    private readonly StringWriter _logText = new();
    private readonly string _path;
    private readonly ICarpService _engine;
    private readonly PersistingCarpService _service;
    private readonly ConfigurationReloader _reloader;

    public ConfigurationReloadTests()
    {
        _path = _dir.Write("carpd.conf", Original);
        var configuration = CarpdConfiguration.Load(_path);
        _engine = CarpServices.CreateInMemory(new CarpServiceOptions { Sysctls = configuration.Sysctls }, "eth0");
        foreach (var config in configuration.Interfaces)
        {
            _engine.CreateInterface(config);
        }

        var log = new JournalLog(_logText, verbose: true);
        _service = new PersistingCarpService(_engine, configuration, _path, log.Daemon);
        _reloader = new ConfigurationReloader(_service, log, new SystemdNotifier(null, log));

        // A state reached at run time, which only a re-created host would lose.
        _engine.SetInterface("carp1", new InterfaceChange { State = CarpState.Master });
    }

    public void Dispose()
    {
        _service.Dispose();
        _dir.Dispose();
    }

    [Fact]
    public void Changing_only_carp2s_advskew_leaves_carp1_alone_and_changes_carp2_in_place()
    {
        var before = Statuses();

        Edit(Original.Replace("advskew 100", "advskew 200", StringComparison.Ordinal));
        var result = _reloader.Reload("test");

        Assert.Equal(["carp2"], result.Changed);
        Assert.Equal(["carp1"], result.Unchanged);
        Assert.Empty(result.Added);
        Assert.Empty(result.Removed);
        Assert.Empty(result.Sysctls);
        var after = Statuses();
        Assert.Equal(CarpState.Master, after["carp1"].State);
        Assert.Equal(before["carp1"].Transitions, after["carp1"].Transitions);
        Assert.Equal(before["carp1"].LastTransition, after["carp1"].LastTransition);
        Assert.Equal(200, after["carp2"].AdvSkew);
        Assert.Equal(before["carp2"].Transitions, after["carp2"].Transitions);
        Assert.Equal(before["carp2"].LastTransition, after["carp2"].LastTransition);
        Assert.Equal(200, _service.Configuration.Find("carp2")!.AdvSkew);
    }

    [Fact]
    public void Adding_and_removing_interfaces_in_the_file_adds_and_removes_them()
    {
        Edit("# site A\nnet.inet.carp.preempt=1\n" +
            "carp1 vhid 1 carpdev eth0 pass lanpasswd 192.0.2.100/24\n" +
            "carp3 vhid 3 carpdev eth0 pass dmzpasswd 203.0.113.10/24\n");

        var result = _reloader.Reload("test");

        Assert.Equal(["carp3"], result.Added);
        Assert.Equal(["carp2"], result.Removed);
        Assert.Equal(["carp1"], result.Unchanged);
        Assert.Equal(["carp1", "carp3"], Statuses().Keys.Order());
        Assert.Equal(CarpState.Master, Statuses()["carp1"].State);
    }

    [Fact]
    public void A_changed_sysctl_is_set_and_the_file_is_not_rewritten()
    {
        var text = Original.Replace("net.inet.carp.preempt=1\n", "net.inet.carp.preempt=0\nnet.inet.carp.log=3\n", StringComparison.Ordinal);
        Edit(text);

        var result = _reloader.Reload("test");

        Assert.Equal(["preempt=0", "log=3"], result.Sysctls);
        Assert.False(_engine.GetSysctls().Preempt);
        Assert.Equal(3, _engine.GetSysctls().Log);
        Assert.Equal(text, File.ReadAllText(_path));
    }

    [Fact]
    public void Demotion_becomes_the_files_value_although_writing_it_adds()
    {
        Edit("net.inet.carp.demotion=100\n" + Original);
        Assert.Equal(["demotion=100"], _reloader.Reload("test").Sysctls);
        Assert.Equal(100, _engine.GetSysctls().Demotion);

        // -200 is 300 below 100: more than one write may move it.
        Edit("net.inet.carp.demotion=-200\n" + Original);
        Assert.Equal(["demotion=-200"], _reloader.Reload("test").Sysctls);
        Assert.Equal(-200, _engine.GetSysctls().Demotion);
    }

    [Fact]
    public void A_broken_file_changes_nothing_and_the_error_names_its_line()
    {
        var interfaces = Snapshot();
        var sysctls = _engine.GetSysctls();
        var configuration = _service.Configuration;
        Edit("net.inet.carp.preempt=0\ncarp1 vhid 1 carpdev eth0 pass lanpasswd advskew 7 192.0.2.100/24\ncarp2 vhid 2 carpdev eth0 advskew 999\n");

        var error = Assert.Throws<CarpException>(() => _reloader.Reload("test"));

        Assert.Contains("carpd.conf:3:", error.Message, StringComparison.Ordinal);
        Assert.Equal(CarpErrorCode.InvalidAdvSkew, error.Code);
        Assert.Equal(interfaces, Snapshot());
        Assert.Equal(sysctls, _engine.GetSysctls());
        Assert.Same(configuration, _service.Configuration);
        Assert.Contains("carpd.conf:3:", _logText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_run_time_change_after_a_reload_keeps_the_administrators_edit()
    {
        Edit(Original.Replace("# site A", "# site A, edited", StringComparison.Ordinal).Replace("advskew 100", "advskew 50", StringComparison.Ordinal));
        _reloader.Reload("test");

        _service.SetInterface("carp1", new InterfaceChange { AdvSkew = 10 });

        Assert.Equal(
            "# site A, edited\nnet.inet.carp.preempt=1\n" +
            "carp1 vhid 1 carpdev eth0 pass lanpasswd advskew 10 192.0.2.100/24\n" +
            "carp2 vhid 2 carpdev eth0 pass wanpasswd advskew 50 198.51.100.10/24\n",
            File.ReadAllText(_path));
        Assert.False(File.Exists(_path + ".bak"));
        Assert.DoesNotContain("passwd", _logText.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_step_the_engine_refuses_is_reported_and_the_others_stay_applied()
    {
        // carp3 on a carpdev the in-memory LAN does not have; carp2's advskew change is still applied.
        Edit(Original.Replace("advskew 100", "advskew 150", StringComparison.Ordinal) + "carp3 vhid 3 carpdev eth9 198.51.100.30/24\n");

        var error = Assert.Throws<CarpException>(() => _reloader.Reload("test"));

        Assert.Contains("carp3 not created", error.Message, StringComparison.Ordinal);
        Assert.Equal(150, Statuses()["carp2"].AdvSkew);
        Assert.Null(_service.Configuration.Find("carp3"));
        Assert.Equal(150, _service.Configuration.Find("carp2")!.AdvSkew);
    }

    private Dictionary<string, VirtualHostStatus> Statuses() => _engine.GetInterfaces().ToDictionary(s => s.Name, StringComparer.Ordinal);

    private string[] Snapshot() =>
        [.. _engine.GetInterfaces().Select(s => $"{s.Name} {s.Vhid} {s.State} {s.AdvBase} {s.AdvSkew} {s.HasPass} {s.Transitions} {s.LastTransition:O} {string.Join(',', s.Addresses)}")];

    private void Edit(string text) => _dir.Write("carpd.conf", text);
}
