namespace Carp.Engine.Hosting;

/// <summary>A level-triggered wake-up: <see cref="Set"/> from any thread, <see cref="Wait"/> on the loop thread.</summary>
public interface IWakeSignal : IDisposable
{
    void Set();

    /// <summary>Sleeps until set or until the timeout passes (negative: no timeout); true when it was set.</summary>
    bool Wait(long timeoutNanoseconds);
}
