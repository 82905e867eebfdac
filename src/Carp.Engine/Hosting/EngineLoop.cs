using System.Buffers;
using System.Collections.Concurrent;

namespace Carp.Engine.Hosting;

/// <summary>
/// The one thread that runs a <see cref="Core.CarpNode"/>: it takes captured frames and commands from
/// a queue and fires timers on time. It sleeps on the platform's wake signal until the next deadline
/// or new work (on Linux an eventfd with a nanosecond deadline, at real-time priority where allowed):
/// CARP takeover latency is measured from that deadline, and millisecond waits, the thread pool and
/// batched capture are what make ucarp late.
/// </summary>
internal sealed class EngineLoop : IDisposable
{
    private readonly ConcurrentQueue<WorkItem> _work = new();
    private readonly IWakeSignal _signal;
    private readonly IEnginePlatform _platform;
    private readonly Thread _thread;
    private readonly TimeProvider _time;
    private readonly Func<long?> _nextDeadline;
    private readonly Action _runTimers;
    private readonly Func<bool> _turn; // every turn, first: whether the addresses were taken while the loop stood still
    private readonly Action _onStalled;
    private readonly long _maxSleepNanoseconds;
    private readonly Action<CarpLogLevel, string>? _log;
    private readonly Lock _gate = new();
    private volatile bool _stopping;

    public EngineLoop(IEnginePlatform platform, TimeProvider time, Func<long?> nextDeadline, Action runTimers, Action<CarpLogLevel, string>? log,
        Func<bool>? turn = null, Action? onStalled = null, TimeSpan? maxSleep = null)
    {
        _maxSleepNanoseconds = (long)Math.Clamp((maxSleep ?? TimeSpan.FromSeconds(1)).TotalMilliseconds * 1e6, 1e6, 1e9);
        _turn = turn ?? (static () => false);
        _onStalled = onStalled ?? (static () => { });
        _platform = platform;
        _signal = platform.CreateWakeSignal();
        _time = time;
        _nextDeadline = nextDeadline;
        _runTimers = runTimers;
        _log = log;
        _thread = new Thread(Run) { IsBackground = true, Name = "carp-engine", Priority = ThreadPriority.AboveNormal };
    }

    public void Start() => _thread.Start();

    public bool IsLoopThread => Environment.CurrentManagedThreadId == _thread.ManagedThreadId;

    /// <summary>Copies a captured frame and its arrival time into the queue; called on capture threads.</summary>
    public void PostFrame(FrameHandler handler, ReadOnlySpan<byte> frame, long arrivedAt)
    {
        if (_stopping)
        {
            return;
        }

        var buffer = ArrayPool<byte>.Shared.Rent(frame.Length);
        frame.CopyTo(buffer);
        _work.Enqueue(new WorkItem(null, handler, buffer, frame.Length, arrivedAt));
        _signal.Set();
    }

    /// <summary>Runs <paramref name="command"/> on the loop thread and returns its result or rethrows its exception.</summary>
    public T Invoke<T>(Func<T> command)
    {
        if (IsLoopThread)
        {
            return command();
        }

        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            // Queued under the same lock that stops the loop: work is either run by the final drain or refused, never lost.
            ObjectDisposedException.ThrowIf(_stopping, this);
            _work.Enqueue(new WorkItem(() =>
            {
                try
                {
                    completion.SetResult(command());
                }
                catch (Exception ex)
                {
                    completion.SetException(ex);
                }
            }, null, null, 0, 0));
        }

        _signal.Set();
        return completion.Task.GetAwaiter().GetResult();
    }

    public void Invoke(Action command) => Invoke(() =>
    {
        command();
        return true;
    });

    /// <summary>Queues <paramref name="command"/> for the loop thread without waiting for it; false (and dropped) once the loop stops.</summary>
    public bool Post(Action command)
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return false;
            }

            _work.Enqueue(new WorkItem(command, null, null, 0, 0));
        }

        _signal.Set();
        return true;
    }

    private void Run()
    {
        var realtime = _platform.TryEnableRealtime();
        _log?.Invoke(realtime || !_platform.HasRealtime ? CarpLogLevel.Debug : CarpLogLevel.Warning,
            realtime ? "engine thread runs at real-time priority" : "engine thread runs at normal priority (no real-time priority granted, e.g. no CAP_SYS_NICE): a busy host can delay takeovers");
        while (!_stopping)
        {
            try
            {
                // First: if the wire took the addresses while this thread stood still, no timer may act as MASTER before the step-down.
                if (_turn())
                {
                    _onStalled();
                }

                Drain();
                _runTimers();
                WaitForWorkOrDeadline();
            }
            catch (Exception ex)
            {
                // The protocol must keep running: one failing step is logged, never fatal.
                _log?.Invoke(CarpLogLevel.Error, $"engine step failed: {ex.GetType().Name}: {ex.Message}");
            }
        }

        Drain();
    }

    private void Drain()
    {
        while (_work.TryDequeue(out var item))
        {
            if (item.Command is not null)
            {
                item.Command();
                continue;
            }

            try
            {
                item.FrameHandler!(item.Frame.AsSpan(0, item.Length), item.ArrivedAt);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(item.Frame!);
            }
        }
    }

    private void WaitForWorkOrDeadline()
    {
        if (!_work.IsEmpty)
        {
            return;
        }

        var deadline = _nextDeadline();
        var timeout = deadline is null ? -1 : (long)((deadline.Value - _time.GetTimestamp()) * (1e9 / _time.TimestampFrequency));
        if (deadline is null || timeout > 0)
        {
            // A turn at least every maxSleep (a second at most), deadline or not: the watchdog's proof of life, and the wire's revocation check.
            _signal.Wait(deadline is null ? _maxSleepNanoseconds : Math.Min(timeout, _maxSleepNanoseconds));
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _stopping = true;
        }

        _signal.Set();
        if (_thread.IsAlive && !IsLoopThread && !_thread.Join(TimeSpan.FromSeconds(5)))
        {
            // Still running a step: closing its eventfd now could hand the number to another file.
            return;
        }

        _signal.Dispose();
    }

    private readonly record struct WorkItem(Action? Command, FrameHandler? FrameHandler, byte[]? Frame, int Length, long ArrivedAt);
}
