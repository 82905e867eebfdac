using System.Diagnostics;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carpd.Configuration;
using Carpd.Control;

namespace Carpd.Tests;

/// <summary>
/// carpd's <c>track</c> lines (docs/protocol.md#trackers): the grammar and its refusals, the formatter keeping comments,
/// run-time changes saved, reload applying only what changed, the command file's ownership, and the control methods.
/// </summary>
public sealed class TrackerConfigurationTests : IDisposable
{
    private const string Interfaces =
        "net.inet.carp.preempt=1\n" +
        "carp1 vhid 1 carpdev eth0 pass lanpasswd group wan 192.0.2.100/24\n";

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void The_three_kinds_parse_with_their_settings_and_scopes()
    {
        var configuration = CarpdConfiguration.Parse(Interfaces +
            "track gw script \"/bin/sh -c 'test -e /run/ok'\" interval 2 timeout 1 rise 2 fall 3 weight 50 carp1 # the gateway\n" +
            "track uplink link eth1 fault group wan\n" +
            "track load file /run/load weight 10 interval 0.5 carp1\n");

        Assert.Equal(3, configuration.Trackers.Count);
        var gw = configuration.Trackers[0];
        Assert.Equal((TrackerKind.Script, "/bin/sh -c 'test -e /run/ok'", TrackerScope.Interface("carp1")), (gw.Kind, gw.Target, gw.Scope));
        Assert.Equal((TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), 2, 3, 50, false), (gw.Interval, gw.Timeout, gw.Rise, gw.Fall, gw.Weight, gw.Fault));
        Assert.Equal(["/bin/sh", "-c", "test -e /run/ok"], gw.Arguments);
        var uplink = configuration.Trackers[1];
        Assert.Equal((TrackerKind.Link, "eth1", TrackerScope.Group("wan"), true), (uplink.Kind, uplink.Target, uplink.Scope, uplink.Fault));
        Assert.Equal((TrackerKind.File, TimeSpan.FromMilliseconds(500), 10), (configuration.Trackers[2].Kind, configuration.Trackers[2].Interval, configuration.Trackers[2].Weight));
    }

    [Theory]
    [InlineData("track gw script \"true\" weight 5", "names no carp interface or group")]
    [InlineData("track gw script \"true\" weight 5 fault carp1", "either weight N or fault")]
    [InlineData("track gw script \"true\" carp1", "either weight N or fault")]
    [InlineData("track gw ping 192.0.2.1 weight 5 carp1", "not a tracker kind")]
    [InlineData("track gw script \"true weight 5 carp1", "not closed")]
    [InlineData("track gw script \"true\" rise 0 weight 5 carp1", "rise and fall are 1 to 255")]
    [InlineData("track gw script \"true\" weight 300 carp1", "the weight is 1 to 254")]
    [InlineData("track gw file run/x weight 5 carp1", "absolute file path")]
    [InlineData("track gw script \"true\" interval 0.01 weight 5 carp1", "interval is 0.1 to 3600 seconds")]
    [InlineData("track gw script \"true\" weight 5 carp1 carp2", "one interface or one group")]
    public void A_bad_track_line_is_refused_with_its_line_number(string line, string expected)
    {
        var error = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Parse(Interfaces + line + "\n"));

        Assert.Equal(3, error.Line);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_tracker_name_may_be_used_once()
    {
        var error = Assert.Throws<CarpdConfigurationException>(() => CarpdConfiguration.Parse(Interfaces +
            "track gw link eth1 fault carp1\ntrack gw link eth2 fault carp1\n"));
        Assert.Equal((CarpErrorCode.TrackerExists, 4), (error.Code, error.Line));
    }

    [Fact]
    public void The_formatter_keeps_unchanged_lines_and_comments_rewrites_changed_ones_drops_removed_and_appends_new()
    {
        const string Text = Interfaces +
            "# health\n" +
            "track gw script \"test -e /run/ok\"   weight 50 carp1   # as written\n" +
            "track old link eth2 fault carp1\n" +
            "track load file /run/load weight 10 carp1 # load\n";
        var configuration = CarpdConfiguration.Parse(Text);
        var load = configuration.Trackers.Single(t => t.Name == "load");
        var added = new TrackerConfig
        {
            Name = "new", Kind = TrackerKind.Script, Target = "/usr/bin/check \"a b\"", Scope = TrackerScope.Group("wan"), Fall = 2, Fault = true,
        };
        var updated = configuration.WithoutTracker("old").WithTracker(load with { Weight = 20 }).WithTracker(added);

        var text = updated.Format(Text);

        Assert.Contains("track gw script \"test -e /run/ok\"   weight 50 carp1   # as written\n", text, StringComparison.Ordinal);
        Assert.DoesNotContain("track old", text, StringComparison.Ordinal);
        Assert.Contains("track load file /run/load weight 20 carp1 # load\n", text, StringComparison.Ordinal);
        Assert.EndsWith("track new script \"/usr/bin/check \\\"a b\\\"\" fall 2 fault group wan\n", text, StringComparison.Ordinal);
        Assert.Equal(updated.Trackers, CarpdConfiguration.Parse(text).Trackers);
    }

    [Fact]
    public void A_fresh_file_writes_the_trackers_after_the_interfaces_and_reads_them_back()
    {
        var configuration = CarpdConfiguration.Parse(Interfaces + "track gw link eth1 interval 1 rise 3 fault group wan\n");

        var text = configuration.Format();

        Assert.Equal(configuration.Trackers, CarpdConfiguration.Parse(text).Trackers);
        Assert.True(text.IndexOf("track gw", StringComparison.Ordinal) > text.IndexOf("carp1 vhid", StringComparison.Ordinal));
    }

    [Fact]
    public void Trackers_added_and_removed_at_run_time_are_saved_and_a_reload_applies_only_what_changed()
    {
        var path = _dir.Write("carpd.conf", Interfaces + "track keep link lo weight 5 carp1 # stays\n");
        var configuration = CarpdConfiguration.Load(path);
        using var engine = CarpServices.CreateInMemory(new CarpServiceOptions { Sysctls = configuration.Sysctls }, "eth0");
        engine.CreateInterface(configuration.Interfaces[0]);
        var trackers = (ICarpTrackers)engine;
        TrackerReload.Start(engine, configuration.Trackers, (t, ex) => Assert.Fail($"{t.Name}: {ex.Message}"));
        using var service = new PersistingCarpService(engine, configuration, path);

        service.AddTracker(new TrackerConfig { Name = "gw", Kind = TrackerKind.Script, Target = "/bin/true", Scope = TrackerScope.Interface("carp1"), Weight = 50 });
        Assert.Contains("track gw script \"/bin/true\" weight 50 carp1\n", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Equal(["gw", "keep"], trackers.GetTrackers().Select(t => t.Name));

        service.RemoveTracker("gw");
        Assert.DoesNotContain("track gw", File.ReadAllText(path), StringComparison.Ordinal);
        Assert.Equal(CarpErrorCode.TrackerNotFound, Assert.Throws<CarpException>(() => service.RemoveTracker("gw")).Code);

        // The administrator edits the file: one new tracker; the unchanged one keeps running (same counters).
        var keepBefore = trackers.GetTrackers().Single(t => t.Name == "keep");
        File.WriteAllText(path, Interfaces + "track keep link lo weight 5 carp1 # stays\ntrack f file /run/none weight 3 carp1\n");
        var outcome = service.Reload(CarpdConfiguration.Load(path, out var hash), hash);

        Assert.Empty(outcome.Failures);
        Assert.Equal(["f", "keep"], trackers.GetTrackers().Select(t => t.Name));
        Assert.True(trackers.GetTrackers().Single(t => t.Name == "keep").Consecutive >= keepBefore.Consecutive);
        Assert.Equal(["keep", "f"], service.Configuration.Trackers.Select(t => t.Name));

        // A changed tracker starts again with its new settings; one gone from the file stops and its demotion goes.
        File.WriteAllText(path, Interfaces + "track keep link lo weight 9 carp1 # stays\n");
        outcome = service.Reload(CarpdConfiguration.Load(path, out hash), hash);
        Assert.Empty(outcome.Failures);
        var kept = Assert.Single(trackers.GetTrackers());
        Assert.Equal(("keep", 9), (kept.Name, kept.Config.Weight));
        Assert.Equal(["keep"], service.Configuration.Trackers.Select(t => t.Name));
        Assert.True(Eventually(() => engine.GetInterfaces()[0].TrackerDemotion == 0), "the removed file tracker's demotion stayed");
    }

    private static bool Eventually(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                return false;
            }

            Thread.Sleep(20);
        }

        return true;
    }

    [Fact]
    public void A_command_that_another_user_owns_or_may_change_is_refused_and_nothing_changes()
    {
        var path = _dir.Write("carpd.conf", Interfaces);
        var configuration = CarpdConfiguration.Load(path);
        using var engine = CarpServices.CreateInMemory(new CarpServiceOptions(), "eth0");
        using var service = new PersistingCarpService(engine, configuration, path);
        var script = _dir.Write("check.sh", "#!/bin/sh\nexit 0\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.OtherWrite);
        var before = File.ReadAllText(path);
        var tracker = new TrackerConfig { Name = "gw", Kind = TrackerKind.Script, Target = script, Scope = TrackerScope.Interface("carp1"), Weight = 50 };

        var writable = Assert.Throws<CarpException>(() => service.AddTracker(tracker));
        Assert.Equal(CarpErrorCode.NotPermitted, writable.Code);
        Assert.Contains("can be changed by other users (mode 0702)", writable.Message, StringComparison.Ordinal);

        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        Assert.Equal(0, Process.Start("chown", ["65534", script])!.WaitForExitAndCode());
        var foreign = Assert.Throws<CarpException>(() => service.AddTracker(tracker));
        Assert.Equal(CarpErrorCode.NotPermitted, foreign.Code);
        Assert.Contains("owned by uid 65534, not by root", foreign.Message, StringComparison.Ordinal);

        Assert.Equal(CarpErrorCode.InvalidArgument, Assert.Throws<CarpException>(() => service.AddTracker(tracker with { Target = "no-such-check-program" })).Code);
        Assert.Equal(before, File.ReadAllText(path));
        Assert.Empty(((ICarpTrackers)engine).GetTrackers());
    }

    [Fact]
    public void Check_config_lists_the_trackers_and_fails_on_a_program_carpd_would_refuse()
    {
        var good = _dir.Write("good.conf", Interfaces + "track gw script \"/bin/true\" weight 50 carp1\n");
        using var output = new StringWriter();
        using var errors = new StringWriter();
        Assert.Equal(0, ConfigCheck.Run(good, output, errors));
        Assert.Contains("tracker gw: script /bin/true every 2 s on carp1, weight 50", output.ToString(), StringComparison.Ordinal);

        var script = _dir.Write("check.sh", "#!/bin/sh\n", UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupWrite);
        var bad = _dir.Write("bad.conf", Interfaces + $"track gw script \"{script}\" weight 50 carp1\n");
        using var badErrors = new StringWriter();
        Assert.Equal(1, ConfigCheck.Run(bad, TextWriter.Null, badErrors));
        Assert.Contains("can be changed by other users (mode 0720)", badErrors.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_control_methods_add_list_and_remove_trackers_and_keep_the_error_codes()
    {
        using var engine = CarpServices.CreateInMemory(new CarpServiceOptions(), "eth0");
        engine.CreateInterface(CarpdConfiguration.Parse(Interfaces).Interfaces[0]);
        using var server = CarpControlServer.Start(engine, _dir.File("carpd.sock"), new CarpControlServerOptions());
        using var client = new CarpdClient(server.SocketPath, TimeSpan.FromSeconds(10));
        var file = _dir.Write("load", "2\n");

        var added = client.AddTracker(new TrackerConfig
        {
            Name = "load", Kind = TrackerKind.File, Target = file, Scope = TrackerScope.Group("wan"), Weight = 7,
            Interval = TimeSpan.FromMilliseconds(100), Fall = 1,
        });
        Assert.Equal((TrackerKind.File, TrackerScope.Group("wan"), 7), (added.Config.Kind, added.Config.Scope, added.Config.Weight));
        Assert.Equal(["carp1"], added.Interfaces);

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (engine.GetInterfaces()[0].TrackerDemotion != 14)
        {
            await Task.Delay(20, timeout.Token);
        }

        var listed = Assert.Single(client.GetTrackers());
        Assert.Equal((TrackerState.Down, 14, "value 2"), (listed.State, listed.Demotion, listed.LastResult));
        var status = Assert.Single(client.GetInterfaces());
        Assert.Equal((14, (byte)14), (status.TrackerDemotion, status.AdvertisedAdvSkew));
        Assert.Equal(["load"], status.Trackers);

        Assert.Equal(CarpErrorCode.TrackerExists, Assert.Throws<CarpException>(() => client.AddTracker(added.Config)).Code);
        client.RemoveTracker("load");
        Assert.Equal(CarpErrorCode.TrackerNotFound, Assert.Throws<CarpException>(() => client.RemoveTracker("load")).Code);
        Assert.Equal(0, client.GetInterfaces()[0].TrackerDemotion);
    }
}

internal static class ProcessExtensions
{
    public static int WaitForExitAndCode(this Process process)
    {
        using (process)
        {
            process.WaitForExit();
            return process.ExitCode;
        }
    }
}
