using Carp.Engine.Hosting;

namespace Carp.Linux;

/// <summary>The engine loop on Linux: an eventfd polled with a nanosecond deadline, SCHED_FIFO where allowed.</summary>
public sealed class LinuxEnginePlatform : IEnginePlatform
{
    public static LinuxEnginePlatform Instance { get; } = new();

    public IWakeSignal CreateWakeSignal() => new EventFdWakeSignal();

    public bool HasRealtime => true;

    public bool TryEnableRealtime() => RealtimeThread.TryEnable();
}
