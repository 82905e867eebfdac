using System.Diagnostics;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Engine.Protocol;

namespace Carp.Engine.Tests.Hosting;

/// <summary>Tracker runners (docs/protocol.md#trackers): rise and fall, a file's number, a hanging command killed at its timeout, and the service's API.</summary>
public sealed class TrackerRunnerTests
{
    private static TrackerConfig Config(TrackerKind kind = TrackerKind.Script, string target = "/bin/true", int rise = 2, int fall = 3,
        int weight = 50, bool fault = false, string scope = "carp1") => new()
        {
            Name = "gw",
            Kind = kind,
            Target = target,
            Scope = TrackerScope.Interface(scope),
            Interval = TimeSpan.FromMilliseconds(200),
            Timeout = TimeSpan.FromMilliseconds(300),
            Rise = rise,
            Fall = fall,
            Weight = weight,
            Fault = fault,
        };

    private sealed class NoProbe : ITrackerProbe
    {
        public Task<TrackerProbeResult> ProbeAsync(TrackerConfig config, CancellationToken cancellationToken) => throw new InvalidOperationException("not started");
    }

    private static (TrackerRunner Runner, List<(TrackerState State, TrackerEffect Effect)> Reports) Runner(TrackerConfig config)
    {
        var reports = new List<(TrackerState, TrackerEffect)>();
        return (new TrackerRunner(config, new NoProbe(), TimeProvider.System, (_, s, e, _) => reports.Add((s, e))), reports);
    }

    [Fact]
    public void Fall_failures_in_a_row_make_it_down_and_rise_successes_in_a_row_up_again()
    {
        var (runner, reports) = Runner(Config(rise: 2, fall: 3));
        runner.Count(TrackerProbeResult.Failed("exit 1"));
        runner.Count(TrackerProbeResult.Failed("exit 1"));
        runner.Count(TrackerProbeResult.Passed("exit 0")); // breaks the streak
        runner.Count(TrackerProbeResult.Failed("exit 1"));
        runner.Count(TrackerProbeResult.Failed("exit 1"));
        Assert.Empty(reports);
        Assert.Equal((TrackerState.Unknown, 2), (runner.Status.State, runner.Status.Consecutive));

        runner.Count(TrackerProbeResult.Failed("exit 2"));
        Assert.Equal([(TrackerState.Down, new TrackerEffect(50, false))], reports);
        Assert.Equal((TrackerState.Down, "exit 2", 50), (runner.Status.State, runner.Status.LastResult, runner.Status.Demotion));

        runner.Count(TrackerProbeResult.Passed("exit 0"));
        Assert.Single(reports);
        runner.Count(TrackerProbeResult.Passed("exit 0"));
        Assert.Equal((TrackerState.Up, TrackerEffect.None), reports[^1]);
        Assert.Equal((TrackerState.Up, 0), (runner.Status.State, runner.Status.Demotion));
    }

    [Fact]
    public void A_file_trackers_number_multiplies_its_weight_and_a_fault_tracker_faults()
    {
        var (file, reports) = Runner(Config(TrackerKind.File, "/run/x", fall: 1, weight: 10));
        file.Count(TrackerProbeResult.Failed("value 3", 3));
        file.Count(TrackerProbeResult.Failed("value 5", 5));
        Assert.Equal([(TrackerState.Down, new TrackerEffect(30, false)), (TrackerState.Down, new TrackerEffect(50, false))], reports);

        var (faulting, faults) = Runner(Config(fall: 1, fault: true, weight: 0));
        faulting.Count(TrackerProbeResult.Failed("exit 1"));
        Assert.Equal([(TrackerState.Down, new TrackerEffect(0, Fault: true))], faults);
    }

    [Fact]
    public async Task A_command_that_hangs_is_killed_at_its_timeout_and_counts_as_failed()
    {
        var pidFile = Path.Combine(Path.GetTempPath(), $"carp-tracker-{Guid.NewGuid():N}.pid");
        try
        {
            var config = Config(target: $"/bin/sh -c 'echo $$ > {pidFile}; exec sleep 30'");
            var watch = Stopwatch.StartNew();

            var result = await PortableTrackerProbe.Instance.ProbeAsync(config, TestContext.Current.CancellationToken);

            Assert.False(result.Success);
            Assert.StartsWith("timed out after 0.3 s", result.Detail, StringComparison.Ordinal);
            Assert.InRange(watch.Elapsed, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
            var pid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(IsGone(pid), $"the command (pid {pid}) still runs after its timeout");
        }
        finally
        {
            File.Delete(pidFile);
        }
    }

    [Fact]
    public async Task Exit_codes_missing_programs_and_file_contents_are_probe_results()
    {
        var token = TestContext.Current.CancellationToken;
        Assert.Equal(TrackerProbeResult.Passed("exit 0"), await PortableTrackerProbe.Instance.ProbeAsync(Config(target: "/bin/true"), token));
        Assert.Equal(TrackerProbeResult.Failed("exit 3"), await PortableTrackerProbe.Instance.ProbeAsync(Config(target: "/bin/sh -c 'exit 3'"), token));
        Assert.StartsWith("cannot run /nonexistent/check", (await PortableTrackerProbe.Instance.ProbeAsync(Config(target: "/nonexistent/check"), token)).Detail, StringComparison.Ordinal);

        var file = Path.GetTempFileName();
        try
        {
            foreach (var (content, expected) in new[]
            {
                ("0\n", TrackerProbeResult.Passed("value 0")),
                ("4\n", TrackerProbeResult.Failed("value 4", 4)),
                ("-2", TrackerProbeResult.Failed("value -2")),
                ("up", TrackerProbeResult.Failed("not a number")),
            })
            {
                File.WriteAllText(file, content);
                Assert.Equal(expected, await PortableTrackerProbe.Instance.ProbeAsync(Config(TrackerKind.File, file), token));
            }
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task A_service_applies_a_file_trackers_verdict_to_its_interface_and_undoes_it_when_removed()
    {
        var device = "simk" + Guid.NewGuid().ToString("N")[..6];
        var file = Path.GetTempFileName();
        File.WriteAllText(file, "0");
        using var service = CarpServices.CreateInMemory(device);
        using var carpService = (CarpService)service;
        try
        {
            service.CreateInterface(new VirtualHostConfig
            {
                Name = "carp1", Vhid = 1, CarpDev = device, Key = CarpKey.Empty, Addresses = [CarpAddress.Parse("192.0.2.100/24")],
            });
            var demoted = NextDemotion(service, 30);
            var added = carpService.AddTracker(Config(TrackerKind.File, file, rise: 1, fall: 1, weight: 15) with { Interval = TimeSpan.FromMilliseconds(100) });
            Assert.Equal(["carp1"], added.Interfaces);

            File.WriteAllText(file, "2");
            await demoted.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

            var status = Assert.Single(service.GetInterfaces());
            Assert.Equal(((byte)30, 30), (status.AdvertisedAdvSkew, status.TrackerDemotion));
            Assert.Equal(["gw"], status.Trackers);
            var tracker = Assert.Single(carpService.GetTrackers());
            Assert.Equal((TrackerState.Down, 30, "value 2"), (tracker.State, tracker.Demotion, tracker.LastResult));

            Assert.Equal(CarpErrorCode.TrackerExists, Assert.Throws<CarpException>(() => carpService.AddTracker(Config())).Code);
            Assert.Equal(CarpErrorCode.InvalidArgument, Assert.Throws<CarpException>(() => carpService.AddTracker(Config() with { Name = "x", Rise = 0 })).Code);

            var restored = NextDemotion(service, 0);
            carpService.RemoveTracker("gw");
            await restored.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
            Assert.Empty(carpService.GetTrackers());
            Assert.Equal(CarpErrorCode.TrackerNotFound, Assert.Throws<CarpException>(() => carpService.RemoveTracker("gw")).Code);
        }
        finally
        {
            File.Delete(file);
        }
    }

    private static Task NextDemotion(ICarpService service, byte advSkew)
    {
        var completion = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var subscription = service.Subscribe(e =>
        {
            if (e is CarpDemotionChangedEvent d && d.NewAdvSkew == advSkew)
            {
                completion.TrySetResult();
            }
        });
        _ = completion.Task.ContinueWith(_ => subscription.Dispose(), TaskScheduler.Default);
        return completion.Task;
    }

    private static bool IsGone(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.HasExited;
        }
        catch (ArgumentException)
        {
            return true;
        }
    }
}
