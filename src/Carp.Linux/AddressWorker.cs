using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Carp.Linux;

/// <summary>
/// A thread of its own that works through a growing list while its owner goes on filling it: the addresses of a mass
/// takeover, added on the machine's other core while the engine signs and sends the pass's adverts
/// (docs/ARCHITECTURE.md#address-batches). The owner publishes how many items are ready (<see cref="Publish"/>) and, at the
/// end, waits for the last one (<see cref="Finish"/>); the worker calls <c>work(from, to)</c> for each newly published run.
/// <para>
/// Waking a sleeping thread costs the waker 25–90 µs on the machines we measured (BENCHMARKS.md#scale), so a batch wakes
/// the worker once: it then spins while it waits for more, and at the end the owner spins until the
/// last item is done, without waiting for the worker to notice the end; either parks only after <see cref="SpinLimit"/>
/// and is woken by the other then.
/// </para>
/// </summary>
internal sealed class AddressWorker : IDisposable
{
    /// <summary>
    /// How long either side spins before it parks: about what the adverts of a pass of 255 takeovers take to send, while
    /// the worker has caught up and waits for the close. Both threads run at real-time priority, so this bounds how long
    /// a mass takeover keeps both cores from the host's ordinary work.
    /// </summary>
    private static readonly long SpinLimit = Stopwatch.Frequency / 500;

    /// <summary>
    /// Busy-wait steps between two looks (a fraction of a microsecond). Neither side yields while it spins: the threads
    /// that would take the core are others at the same real-time priority (a capture thread, a monitor), which then run
    /// until they block — up to 1.9 ms in the lab, while the other side had long finished.
    /// </summary>
    private const int SpinIterations = 20;

    /// <summary>
    /// The most items one call of the work takes: a finer progress for <see cref="Finish"/> (a mass takeover announces
    /// each run's hosts while the worker adds the next) at a few microseconds per call.
    /// </summary>
    private const int MaxRun = 32;

    private readonly Action<int, int> _work;
    private readonly Thread _thread;
    private readonly SemaphoreSlim _start = new(0);
    private readonly SemaphoreSlim _unpark = new(0);
    private readonly ManualResetEventSlim _idle = new(true, spinCount: 1);
    private int _published;
    private int _done;
    private int _closed;
    private int _parked;
    private int _disposed;
    private ExceptionDispatchInfo? _error;

    /// <param name="work">Called on the worker's thread with each run [from, to) of newly published items, in order.</param>
    /// <param name="name">The thread's name.</param>
    public AddressWorker(Action<int, int> work, string name)
    {
        _work = work;
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.Start();
    }

    /// <summary>True from the first <see cref="Publish"/> of a batch to its <see cref="Finish"/>: the items belong to the worker.</summary>
    public bool Running { get; private set; }

    /// <summary>True while the worker waits parked for more (it spun <see cref="SpinLimit"/> without work): for tests.</summary>
    internal bool Parked => Volatile.Read(ref _parked) == 1;

    /// <summary>Items [0, <paramref name="count"/>) are ready (owner's thread): the first call of a batch wakes the worker.</summary>
    public void Publish(int count)
    {
        if (!Running)
        {
            // The worker left the previous batch long ago in practice (it only had to see it closed).
            _idle.Wait();
            _idle.Reset();
            Running = true;
            Volatile.Write(ref _closed, 0);
            Volatile.Write(ref _done, 0);
            Volatile.Write(ref _published, count);
            _start.Release();
            return;
        }

        Interlocked.Exchange(ref _published, count);
        WakeIfParked();
    }

    /// <summary>
    /// No more items (owner's thread): returns once the worker has done every published one (it need not have noticed the
    /// end yet); the next <see cref="Publish"/> starts a new batch from item 0. While it waits, <paramref name="progress"/>
    /// hears how many items are done each time that grows, so that the owner can use the wait. An exception thrown by the
    /// work is thrown here.
    /// </summary>
    public void Finish(Action<int>? progress = null)
    {
        if (!Running)
        {
            return;
        }

        var target = Volatile.Read(ref _published);
        Interlocked.Exchange(ref _closed, 1);
        WakeIfParked();
        var start = Stopwatch.GetTimestamp();
        var reported = 0;
        while (Volatile.Read(ref _done) is var done && done < target && Stopwatch.GetTimestamp() - start < SpinLimit)
        {
            if (done > reported && progress is not null)
            {
                progress(done);
                reported = done;
                start = Stopwatch.GetTimestamp();
                continue;
            }

            Thread.SpinWait(SpinIterations);
        }

        if (Volatile.Read(ref _done) < target)
        {
            _idle.Wait();
        }

        Running = false;
        var error = _error;
        _error = null;
        error?.Throw();
    }

    private void WakeIfParked()
    {
        // Both sides write, then read the other's flag, each with a full fence: the worker either sees the new count or
        // the owner sees it parked (or both, and the spare release only makes a later park look once more).
        if (Interlocked.CompareExchange(ref _parked, 0, 1) == 1)
        {
            _unpark.Release();
        }
    }

    private void Run()
    {
        // Like the engine's thread: a busy host must not hold a takeover's addresses back by a scheduler slice.
        RealtimeThread.TryEnable();
        while (true)
        {
            // A mass switch runs in two or three passes back to back: the next batch often starts within the spin.
            var finished = Stopwatch.GetTimestamp();
                while (!_start.Wait(0))
            {
                if (Stopwatch.GetTimestamp() - finished >= SpinLimit)
                {
                    _start.Wait();
                    break;
                }

                Thread.SpinWait(SpinIterations);
            }

            if (Volatile.Read(ref _disposed) == 1)
            {
                return;
            }

            Drain();
            _idle.Set();
        }
    }

    /// <summary>Works through what is published until the batch is closed and done; parks when it has spun too long without work.</summary>
    private void Drain()
    {
        var taken = 0;
        var idleSince = Stopwatch.GetTimestamp();
        while (true)
        {
            var upTo = Math.Min(Volatile.Read(ref _published), taken + MaxRun);
            if (upTo > taken)
            {
                if (_error is null)
                {
                    try
                    {
                        _work(taken, upTo);
                    }
                    catch (Exception ex)
                    {
                        // Like an add on the owner's thread: the rest of the batch is not added, and the owner hears why.
                        _error = ExceptionDispatchInfo.Capture(ex);
                    }
                }

                taken = upTo;
                Volatile.Write(ref _done, upTo);
                idleSince = Stopwatch.GetTimestamp();
                continue;
            }

            if (Volatile.Read(ref _closed) == 1)
            {
                if (Volatile.Read(ref _published) > taken)
                {
                    continue;
                }

                return;
            }

            if (Stopwatch.GetTimestamp() - idleSince < SpinLimit)
            {
                Thread.SpinWait(SpinIterations);
                continue;
            }

            Interlocked.Exchange(ref _parked, 1);
            if (Volatile.Read(ref _published) <= taken && Volatile.Read(ref _closed) == 0)
            {
                _unpark.Wait();
            }

            Interlocked.Exchange(ref _parked, 0);
            idleSince = Stopwatch.GetTimestamp();
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        // Disposed by the owner after its last Finish: the worker is between batches, or about to be.
        _start.Release();
        _thread.Join(TimeSpan.FromSeconds(5));
    }
}
