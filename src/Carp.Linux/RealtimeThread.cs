namespace Carp.Linux;

/// <summary>
/// Makes the calling thread a protocol thread: the lowest real-time priority (SCHED_FIFO 1) when the
/// process may have it, and 1 µs timer slack. CARP takeover time is measured from a deadline, so a
/// busy host must not delay the engine, capture or address-batch thread by a scheduler slice
/// (keepalived does the same). None of them spins for longer than 2 ms, and only the last two of a
/// mass takeover (<see cref="AddressWorker"/>), so a real-time priority cannot starve the host. Threads they create
/// (thread-pool workers above all) start at normal priority again: Linux would otherwise hand them
/// the real-time policy, and a spinning real-time worker starves everything at its priority.
/// </summary>
public static unsafe class RealtimeThread
{
    /// <summary>True when the thread now runs SCHED_FIFO; false leaves it as it was (no privilege).</summary>
    public static bool TryEnable()
    {
        LibC.Prctl(LibC.PR_SET_TIMERSLACK, 1000, 0, 0, 0);
        var param = new LibC.SchedParam { Priority = 1 };
        return LibC.SchedSetScheduler(0, LibC.SCHED_FIFO | LibC.SCHED_RESET_ON_FORK, &param) == 0;
    }
}
