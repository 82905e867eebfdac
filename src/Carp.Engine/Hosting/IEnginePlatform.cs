namespace Carp.Engine.Hosting;

/// <summary>
/// What the engine's loop thread needs from the operating system: a wake-up signal that can sleep
/// until a deadline, and real-time priority where the system grants it. The Linux adapter supplies
/// an eventfd and SCHED_FIFO; <see cref="PortableEnginePlatform"/> serves the in-memory LAN and tests.
/// </summary>
public interface IEnginePlatform
{
    /// <summary>A new signal that <see cref="IWakeSignal.Set"/> wakes from any thread.</summary>
    IWakeSignal CreateWakeSignal();

    /// <summary>Whether this platform has real-time scheduling at all (if it has and refuses it, that is worth a warning).</summary>
    bool HasRealtime { get; }

    /// <summary>Raises the calling thread to real-time priority; false where that is not allowed.</summary>
    bool TryEnableRealtime();
}
