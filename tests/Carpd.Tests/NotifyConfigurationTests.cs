using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carpd.Configuration;
using Carpd.Notify;

namespace Carpd.Tests;

/// <summary>The notify statements of carpd's configuration file: grammar, the checks on the files they name, saving and reload (docs/protocol.md#notify-hooks).</summary>
public sealed class NotifyConfigurationTests : IDisposable
{
    private const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute;
    private readonly TempDirectory _dir = new();
    private readonly string _hook;

    public NotifyConfigurationTests()
    {
        _hook = _dir.Write("hook", "#!/bin/sh\nexit 0\n", Executable);
    }

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void Reads_hooks_for_states_interfaces_and_groups_with_the_timeout_and_the_fifo()
    {
        var configuration = Parse(
            "carp1 vhid 1 carpdev eth0 group wan 192.0.2.1/24\n" +
            $"notify master {_hook} carp1\n" +
            $"notify any {_hook}   # global\n" +
            $"notify backup {_hook} carp2 carp3 group wan group lan\n" +
            $"notify fault {_hook}\n" +
            "notify timeout 3\n" +
            $"notify_fifo {_dir.File("events.fifo")}\n");

        var notify = configuration.Notify;
        Assert.Equal(TimeSpan.FromSeconds(3), notify.Timeout);
        Assert.Equal(_dir.File("events.fifo"), notify.Fifo);
        Assert.Equal([NotifyState.Master, NotifyState.Any, NotifyState.Backup, NotifyState.Fault], notify.Hooks.Select(h => h.State));
        Assert.Equal(["carp2", "carp3"], notify.Hooks[2].Interfaces);
        Assert.Equal(["wan", "lan"], notify.Hooks[2].Groups);
        Assert.True(notify.Hooks[1].IsGlobal);
        Assert.True(notify.Hooks[0].Matches(NotifyState.Master, "carp1", []));
        Assert.False(notify.Hooks[0].Matches(NotifyState.Backup, "carp1", []));
        Assert.False(notify.Hooks[0].Matches(NotifyState.Master, "carp2", []));
        Assert.True(notify.Hooks[2].Matches(NotifyState.Backup, "carp9", ["wan"]));
        Assert.True(notify.Hooks[1].Matches(NotifyState.Init, "carp9", []));
        Assert.Equal(NotifySettings.DefaultTimeoutSeconds, Parse($"notify master {_hook}\n").Notify.Timeout.TotalSeconds);
        Assert.Contains($"notify backup {_hook} carp2 carp3 group wan group lan", configuration.Describe());
    }

    [Theory]
    [InlineData("notify\n", 2, "notify needs a state and a path")]
    [InlineData("notify primary /bin/true\n", 2, "'primary' is not a notify state")]
    [InlineData("notify master\n", 2, "needs the path of the program")]
    [InlineData("notify master bin/true\n", 2, "needs an absolute path")]
    [InlineData("notify timeout 0\n", 2, "notify timeout must be a number of seconds from 1 to 3600")]
    [InlineData("notify timeout ten\n", 2, "notify timeout must be")]
    [InlineData("notify_fifo\n", 2, "notify_fifo takes one path")]
    [InlineData("notify_fifo run/events\n", 2, "needs an absolute path")]
    [InlineData("notify master /bin/true group\n", 2, "'group' needs a group name")]
    [InlineData("notify master /bin/true carp1 carp1\n", 2, "interface carp1 is listed twice")]
    [InlineData("notify master /bin/true bad!name\n", 2, "word 4 of the line is not a usable interface name")]
    [InlineData("notify timeout 5\nnotify timeout 6\n", 3, "notify timeout is already set on line 2")]
    [InlineData("notify master /bin/true\nnotify master /bin/true\n", 3, "the same notify hook is on line 2")]
    public void Refuses_a_bad_notify_line_naming_it(string text, int line, string problem)
    {
        var error = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Parse("# hooks\n" + text, "carpd.conf"));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"carpd.conf:{line}:", error.Message, StringComparison.Ordinal);
        Assert.Equal(CarpErrorCode.InvalidArgument, error.Code);
    }

    [Fact]
    public void Refuses_a_hook_others_can_change_a_missing_or_not_executable_one_and_a_fifo_others_can_write()
    {
        var writable = _dir.Write("writable", "#!/bin/sh\n", Executable | UnixFileMode.OtherWrite);
        var plain = _dir.Write("plain", "#!/bin/sh\n");
        var fifo = _dir.File("open.fifo");
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", ["-m", "602", fifo]))
        {
            mkfifo.WaitForExit();
        }

        AssertRefused($"notify master {writable}\n", CarpErrorCode.NotPermitted, "can be changed by other users (mode 0752)");
        AssertRefused($"notify master {plain}\n", CarpErrorCode.NotPermitted, "is not executable");
        AssertRefused($"notify master {_dir.File("missing")}\n", CarpErrorCode.NotPermitted, "does not exist");
        AssertRefused($"notify master {_dir.Path}\n", CarpErrorCode.NotPermitted, "is not a regular file");
        AssertRefused($"notify_fifo {fifo}\n", CarpErrorCode.NotPermitted, "can be written by other users");
        AssertRefused($"notify_fifo {_hook}\n", CarpErrorCode.NotPermitted, "exists and is not a FIFO");

        void AssertRefused(string line, CarpErrorCode code, string problem)
        {
            var error = Assert.Throws<CarpdConfigurationException>(() => Parse("carp1 vhid 1 carpdev eth0 192.0.2.1/24\n" + line));
            Assert.Equal(code, error.Code);
            Assert.Contains(problem, error.Message, StringComparison.Ordinal);
            Assert.StartsWith("carpd.conf:2:", error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_run_time_change_keeps_the_notify_lines_as_written_and_a_reload_applies_new_ones()
    {
        var path = _dir.Write("carpd.conf",
            "carp1 vhid 1 carpdev sim0 192.0.2.1/24\n" +
            $"notify master {_hook} carp1   # page the on-call\n" +
            "notify timeout 5\n");
        var configuration = CarpdConfiguration.Load(path);
        using var engine = CarpServices.CreateInMemory(new CarpServiceOptions(), ["sim0"]);
        engine.CreateInterface(configuration.Interfaces[0]);
        using var persisting = new PersistingCarpService(engine, configuration, path);

        persisting.SetInterface("carp1", new InterfaceChange { AdvSkew = 50 });
        Assert.Equal(
            "carp1 vhid 1 carpdev sim0 advskew 50 192.0.2.1/24\n" +
            $"notify master {_hook} carp1   # page the on-call\n" +
            "notify timeout 5\n",
            File.ReadAllText(path));

        File.WriteAllText(path, File.ReadAllText(path).Replace("notify timeout 5\n", $"notify_fifo {_dir.File("e.fifo")}\nnotify any {_hook}\n", StringComparison.Ordinal));
        var outcome = persisting.Reload(CarpdConfiguration.Load(path, out var hash), hash);
        Assert.Empty(outcome.Failures);
        Assert.Equal(["carp1"], outcome.Result.Unchanged);
        Assert.Equal(_dir.File("e.fifo"), persisting.Configuration.Notify.Fifo);
        Assert.Null(persisting.Configuration.Notify.TimeoutSeconds);
        Assert.Equal(2, persisting.Configuration.Notify.Hooks.Count);

        // A fresh file (as carpd writes when there was none) holds the statements too, and reads back the same.
        var fresh = persisting.Configuration.Format();
        Assert.EndsWith($"\nnotify_fifo {_dir.File("e.fifo")}\nnotify master {_hook} carp1\nnotify any {_hook}\n", fresh, StringComparison.Ordinal);
        Assert.Equal(persisting.Configuration.Notify, CarpdConfiguration.Parse(fresh, "carpd.conf").Notify);
    }

    [Theory]
    [InlineData(CarpState.Master, TransitionReason.Preempt, NotifyState.Master)]
    [InlineData(CarpState.Backup, TransitionReason.Started, NotifyState.Backup)]
    [InlineData(CarpState.Init, TransitionReason.CarpDevDown, NotifyState.Fault)]
    [InlineData(CarpState.Init, TransitionReason.NoSourceAddress, NotifyState.Fault)]
    [InlineData(CarpState.Init, TransitionReason.Removed, NotifyState.Init)]
    [InlineData(CarpState.Init, TransitionReason.NotAllowed, NotifyState.Init)]
    [InlineData(CarpState.Init, TransitionReason.NoAddress, NotifyState.Init)]
    [InlineData(CarpState.Init, TransitionReason.Reconfigured, NotifyState.Init)]
    public void INIT_is_a_fault_only_when_a_failure_caused_it(CarpState state, TransitionReason reason, NotifyState expected) =>
        Assert.Equal(expected, NotifyStates.Of(state, reason));

    private CarpdConfiguration Parse(string text) => CarpdConfiguration.Parse(text, "carpd.conf", _dir.Path);
}
