using Carp.Engine.Hosting;
using Carpd.Notify;

namespace Carpd.Tests;

/// <summary>The per-interface hook queues (docs/protocol.md#notify-order): order, overflow, parallel interfaces.</summary>
public sealed class NotifyHookRunnerTests : IDisposable
{
    private const UnixFileMode Executable = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _dir = new();
    private readonly List<string> _log = [];

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_full_queue_drops_its_oldest_runs_and_says_so_without_blocking()
    {
        var ran = _dir.File("ran");
        var go = _dir.File("go");
        // The first run waits for "go", so the others pile up behind it.
        var hook = Hook("hook",
            $"if [ \"$CARP_EVENT_SEQUENCE\" = 1 ]; then touch {_dir.File("started")}; while [ ! -e {go} ]; do sleep 0.01; done; fi\n" +
            $"echo $CARP_EVENT_SEQUENCE >> {ran}\n");
        using var runner = new NotifyHookRunner(Log, maxPending: 3);
        runner.Enqueue(Run(hook, "carp1", 1));
        Assert.True(SpinWait.SpinUntil(() => File.Exists(_dir.File("started")), Patience));

        for (var sequence = 2; sequence <= 10; sequence++)
        {
            runner.Enqueue(Run(hook, "carp1", sequence));
        }

        Assert.Equal(3, runner.Pending("carp1"));
        Assert.Equal(6, runner.Dropped);
        File.WriteAllText(go, string.Empty);
        Assert.True(runner.WaitIdle(Patience));
        Assert.Equal(["1", "8", "9", "10"], File.ReadAllLines(ran));
        Assert.Equal(4, runner.Runs);
        Assert.Single(LogLines(), l => l.Contains("carp1 has 3 hook runs waiting; dropped the oldest", StringComparison.Ordinal));
    }

    [Fact]
    public void Interfaces_run_side_by_side_and_a_failing_hook_is_logged()
    {
        var gate = _dir.File("carp2-done");
        var ran = _dir.File("ran");
        // carp1's hook waits until carp2's has run: with one queue for both this would never finish.
        var hook = Hook("hook",
            $"if [ \"$1\" = carp1 ]; then while [ ! -e {gate} ]; do sleep 0.01; done; else touch {gate}; fi\n" +
            $"echo $1 >> {ran}\nexit 3\n");
        using var runner = new NotifyHookRunner(Log);
        runner.Enqueue(Run(hook, "carp1", 1));
        runner.Enqueue(Run(hook, "carp2", 2));
        Assert.True(runner.WaitIdle(Patience));
        Assert.Equal(["carp2", "carp1"], File.ReadAllLines(ran));
        Assert.Equal(2, runner.Failures);
        Assert.Contains(LogLines(), l => l.Contains("exited with 3", StringComparison.Ordinal));
    }

    [Fact]
    public void A_hook_that_became_writable_by_others_is_not_run()
    {
        var ran = _dir.File("ran");
        var hook = Hook("hook", $"echo ran >> {ran}\n");
        File.SetUnixFileMode(hook, Executable | UnixFileMode.OtherWrite);
        using var runner = new NotifyHookRunner(Log);
        runner.Enqueue(Run(hook, "carp1", 1));
        Assert.True(runner.WaitIdle(Patience));
        Assert.False(File.Exists(ran));
        Assert.Equal(1, runner.Failures);
        Assert.Contains(LogLines(), l => l.Contains("can be changed by other users", StringComparison.Ordinal));
    }

    private string Hook(string name, string body) => _dir.Write(name, "#!/bin/sh\n" + body, Executable);

    private static HookRun Run(string hook, string name, long sequence) => new(
        new NotifyHook(NotifyState.Any, hook, [], []),
        new StateNotification
        {
            Sequence = sequence, Time = DateTimeOffset.UtcNow, Interface = name, Vhid = 1,
            State = NotifyState.Master, Previous = NotifyState.Backup, Reason = "Forced",
        },
        Patience);

    private void Log(CarpLogLevel level, string message)
    {
        lock (_log)
        {
            _log.Add($"{level}: {message}");
        }
    }

    private List<string> LogLines()
    {
        lock (_log)
        {
            return [.. _log];
        }
    }
}
