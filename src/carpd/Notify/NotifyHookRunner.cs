using System.ComponentModel;
using System.Diagnostics;
using Carp.Engine.Hosting;

namespace Carpd.Notify;

/// <summary>One hook to run for one state change.</summary>
public sealed record HookRun(NotifyHook Hook, StateNotification Event, TimeSpan Timeout);

/// <summary>
/// Runs notify hooks (docs/protocol.md#notify-order): one queue per virtual host (by interface name) with one runner,
/// so the hooks of a virtual host run one after another in event order and never two at once; the next starts when the
/// previous exited or was killed at its timeout (with every process it started). Queues of different virtual hosts run
/// in parallel, at most <see cref="MaxConcurrentHooks"/> hooks at a time. <see cref="Enqueue"/> never waits: a queue
/// holding <see cref="MaxPending"/> runs drops its oldest run for the new one, and says so in the log. A hook runs
/// without a shell, its arguments and environment from <see cref="StateNotification"/>; stdin is empty, stdout and
/// stderr are carpd's (the journal).
/// </summary>
internal sealed class NotifyHookRunner : IDisposable
{
    public const int DefaultMaxPending = 1000;
    public const int MaxConcurrentHooks = 32;

    /// <summary>carpd's own variables a hook must not inherit (it is not the service, systemd would take its word).</summary>
    private static readonly string[] Withheld = ["NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES"];

    private readonly Lock _gate = new();
    private readonly Dictionary<string, HookQueue> _queues = new(StringComparer.Ordinal);
    private readonly HashSet<Process> _running = [];
    private readonly SemaphoreSlim _slots = new(MaxConcurrentHooks);
    private readonly ManualResetEventSlim _idle = new(initialState: true);
    private readonly Action<CarpLogLevel, string> _log;
    private readonly Func<string, (string Problem, string Action)?> _check;
    private int _busyQueues;
    private bool _stopped;
    private long _runs;
    private long _failures;
    private long _timeouts;
    private long _dropped;

    /// <param name="log">carpd's log; never given a pass (there is none in an event).</param>
    /// <param name="check">The hook check before each run (default: <c>NotifyFiles.HookProblem</c>).</param>
    /// <param name="maxPending">Runs a queue may hold before the oldest is dropped.</param>
    public NotifyHookRunner(Action<CarpLogLevel, string> log, Func<string, (string Problem, string Action)?>? check = null, int maxPending = DefaultMaxPending)
    {
        _log = log;
        _check = check ?? Configuration.NotifyFiles.HookProblem;
        MaxPending = maxPending;
    }

    public int MaxPending { get; }

    /// <summary>Hooks that were started and ended (exited or killed).</summary>
    public long Runs => Interlocked.Read(ref _runs);

    /// <summary>Runs that did not succeed: refused by the check, not started, a non-zero exit, or killed at the timeout.</summary>
    public long Failures => Interlocked.Read(ref _failures);

    /// <summary>Runs killed at their timeout.</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    /// <summary>Runs dropped because their queue was full.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Queues a run and returns at once; the caller is the engine's event thread.</summary>
    public void Enqueue(HookRun run)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            if (!_queues.TryGetValue(run.Event.Interface, out var queue))
            {
                _queues.Add(run.Event.Interface, queue = new HookQueue());
            }

            if (queue.Pending.Count >= MaxPending)
            {
                var oldest = queue.Pending.Dequeue();
                var total = Interlocked.Increment(ref _dropped);
                if (!queue.WarnedFull || total % 100 == 0)
                {
                    queue.WarnedFull = true;
                    _log(CarpLogLevel.Warning, $"notify: {run.Event.Interface} has {MaxPending} hook runs waiting; dropped the oldest ({oldest.Hook.Path} for event #{oldest.Event.Sequence}); " +
                        $"{total} hook run(s) dropped since carpd started.");
                }
            }

            queue.Pending.Enqueue(run);
            if (!queue.Running)
            {
                queue.Running = true;
                if (_busyQueues++ == 0)
                {
                    _idle.Reset();
                }

                _ = Task.Run(() => RunQueueAsync(queue));
            }
        }
    }

    /// <summary>How many runs of <paramref name="name"/> wait (not counting one that runs).</summary>
    public int Pending(string name)
    {
        lock (_gate)
        {
            return _queues.TryGetValue(name, out var queue) ? queue.Pending.Count : 0;
        }
    }

    /// <summary>Waits until no hook runs or waits; false if that took longer than <paramref name="timeout"/>.</summary>
    public bool WaitIdle(TimeSpan timeout) => _idle.Wait(timeout);

    /// <summary>Gives the queued runs up to <paramref name="drain"/> to finish, then drops the rest and kills what still runs.</summary>
    public void Stop(TimeSpan drain)
    {
        _idle.Wait(drain);
        List<Process> running;
        lock (_gate)
        {
            _stopped = true;
            foreach (var queue in _queues.Values)
            {
                queue.Pending.Clear();
            }

            running = [.. _running];
        }

        foreach (var process in running)
        {
            Kill(process);
        }

        _idle.Wait(TimeSpan.FromSeconds(5));
    }

    public void Dispose() => Stop(TimeSpan.Zero);

    private async Task RunQueueAsync(HookQueue queue)
    {
        while (true)
        {
            HookRun run;
            lock (_gate)
            {
                if (_stopped || queue.Pending.Count == 0)
                {
                    queue.Running = false;
                    queue.WarnedFull = false;
                    if (--_busyQueues == 0)
                    {
                        _idle.Set();
                    }

                    return;
                }

                run = queue.Pending.Dequeue();
            }

            try
            {
                await RunOneAsync(run).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Interlocked.Increment(ref _failures);
                _log(CarpLogLevel.Error, $"notify: {run.Hook.Path} for {run.Event} failed: {ex.GetType().Name}: {ex.Message}");
            }
        }
    }

    private async Task RunOneAsync(HookRun run)
    {
        await _slots.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_check(run.Hook.Path) is { } problem)
            {
                Interlocked.Increment(ref _failures);
                _log(CarpLogLevel.Error, $"notify: not running {run.Hook.Path} for {run.Event}: {problem.Problem} {problem.Action}");
                return;
            }

            var info = new ProcessStartInfo(run.Hook.Path) { UseShellExecute = false, RedirectStandardInput = true };
            foreach (var argument in run.Event.Arguments())
            {
                info.ArgumentList.Add(argument);
            }

            foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("CARP_", StringComparison.Ordinal) || Withheld.Contains(k)).ToList())
            {
                info.Environment.Remove(name);
            }

            foreach (var (name, value) in run.Event.Environment())
            {
                info.Environment[name] = value;
            }

            Process process;
            try
            {
                process = Process.Start(info) ?? throw new InvalidOperationException("no process was started");
            }
            catch (Exception ex) when (ex is Win32Exception or InvalidOperationException)
            {
                Interlocked.Increment(ref _failures);
                _log(CarpLogLevel.Error, $"notify: {run.Hook.Path} for {run.Event} could not be started: {ex.Message}");
                return;
            }

            using (process)
            {
                lock (_gate)
                {
                    _running.Add(process);
                }

                try
                {
                    await WaitAsync(process, run).ConfigureAwait(false);
                }
                finally
                {
                    lock (_gate)
                    {
                        _running.Remove(process);
                    }
                }
            }
        }
        finally
        {
            _slots.Release();
        }
    }

    private async Task WaitAsync(Process process, HookRun run)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            process.StandardInput.Close(); // nothing to read: a hook that reads stdin gets end-of-file
        }
        catch (IOException)
        {
            // It already exited.
        }

        using (var timeout = new CancellationTokenSource(run.Timeout))
        {
            try
            {
                await process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Kill(process);
                using var reap = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                try
                {
                    await process.WaitForExitAsync(reap.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                }

                Interlocked.Increment(ref _runs);
                Interlocked.Increment(ref _timeouts);
                Interlocked.Increment(ref _failures);
                _log(CarpLogLevel.Warning, $"notify: {run.Hook.Path} for {run.Event} did not finish within {run.Timeout.TotalSeconds:0.###} s; " +
                    "killed it and the processes it started. The next hook of the interface runs now.");
                return;
            }
        }

        Interlocked.Increment(ref _runs);
        var took = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        if (process.ExitCode != 0)
        {
            Interlocked.Increment(ref _failures);
            _log(CarpLogLevel.Warning, $"notify: {run.Hook.Path} for {run.Event} exited with {process.ExitCode} after {took:0} ms.");
        }
        else
        {
            _log(CarpLogLevel.Debug, $"notify: ran {run.Hook.Path} for {run.Event} in {took:0} ms.");
        }
    }

    private static void Kill(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // It exited meanwhile.
        }
    }

    private sealed class HookQueue
    {
        public Queue<HookRun> Pending { get; } = new();

        public bool Running { get; set; }

        public bool WarnedFull { get; set; }
    }
}
