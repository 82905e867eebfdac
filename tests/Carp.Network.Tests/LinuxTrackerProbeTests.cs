using System.Globalization;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Linux;

namespace Carp.Network.Tests;

/// <summary>
/// A script tracker's command on Linux (docs/protocol.md#trackers) runs in a process group of its own, killed whole at
/// its timeout: a process it left behind (reparented, no longer its descendant) dies with it.
/// </summary>
public sealed class LinuxTrackerProbeTests
{
    [Fact]
    public async Task A_hanging_command_is_killed_with_its_whole_process_group_at_the_timeout()
    {
        var pidFile = Path.Combine(Path.GetTempPath(), $"carp-probe-{Guid.NewGuid():N}.pid");
        try
        {
            // The subshell starts a sleep and exits: the sleep is reparented, out of the command's process tree but in its group.
            var config = new TrackerConfig
            {
                Name = "hang", Kind = TrackerKind.Script, Scope = TrackerScope.Interface("carp1"), Weight = 1,
                Target = $"/bin/sh -c '(sleep 30 & echo $! > {pidFile}); exec sleep 30'", Timeout = TimeSpan.FromMilliseconds(300),
            };
            var started = DateTime.UtcNow;

            var result = await LinuxTrackerProbe.Instance.ProbeAsync(config, TestContext.Current.CancellationToken);

            Assert.False(result.Success);
            Assert.StartsWith("timed out after 0.3 s: killed", result.Detail, StringComparison.Ordinal);
            Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(5));
            var orphan = int.Parse(File.ReadAllText(pidFile).Trim(), CultureInfo.InvariantCulture);
            Assert.True(Scenarios.Scenario.Eventually(() => IsDead(orphan), TimeSpan.FromSeconds(2), 20),
                $"the command's left-behind child (pid {orphan}) still runs after the timeout");
        }
        finally
        {
            File.Delete(pidFile);
        }
    }

    [Fact]
    public async Task A_command_that_ends_in_time_reports_its_exit_code()
    {
        var config = new TrackerConfig
        {
            Name = "ok", Kind = TrackerKind.Script, Scope = TrackerScope.Interface("carp1"), Weight = 1, Target = "/bin/sh -c 'exit 4'",
        };

        Assert.Equal(TrackerProbeResult.Failed("exit 4"), await LinuxTrackerProbe.Instance.ProbeAsync(config, TestContext.Current.CancellationToken));
        Assert.Equal(TrackerProbeResult.Passed("exit 0"),
            await LinuxTrackerProbe.Instance.ProbeAsync(config with { Target = "/bin/true" }, TestContext.Current.CancellationToken));
    }

    /// <summary>Gone, or a zombie waiting for whoever reaps orphans here.</summary>
    private static bool IsDead(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return true;
        }
    }
}
