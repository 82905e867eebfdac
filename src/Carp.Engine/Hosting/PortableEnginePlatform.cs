namespace Carp.Engine.Hosting;

/// <summary>
/// The engine platform that needs no system calls of its own: a managed wake-up with millisecond
/// resolution and normal priority. Enough for the in-memory LAN, where no deadline meets a real wire.
/// </summary>
public sealed class PortableEnginePlatform : IEnginePlatform
{
    public static PortableEnginePlatform Instance { get; } = new();

    public IWakeSignal CreateWakeSignal() => new ManagedWakeSignal();

    public bool HasRealtime => false;

    public bool TryEnableRealtime() => false;

    private sealed class ManagedWakeSignal : IWakeSignal
    {
        private readonly AutoResetEvent _event = new(false);

        public void Set() => _event.Set();

        public bool Wait(long timeoutNanoseconds) => timeoutNanoseconds < 0
            ? _event.WaitOne()
            : _event.WaitOne(TimeSpan.FromTicks(Math.Max(0, (timeoutNanoseconds + 99) / 100)));

        public void Dispose() => _event.Dispose();
    }
}
