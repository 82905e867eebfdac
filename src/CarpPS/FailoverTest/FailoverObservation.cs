using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;

namespace CarpPS;

/// <summary>What a probe saw, stamped with <see cref="Stopwatch.GetTimestamp"/> when it saw it.</summary>
internal sealed record FailoverObservation(long Timestamp, string Kind, IPAddress? Source, string? Mac, bool Own, byte AdvBase = 0, byte AdvSkew = 0)
{
    public const string BowOut = "BowOut";
    public const string Advert = "Advert";
    public const string Garp = "Garp";
    public const string ArpReply = "ArpReply";
    public const string EchoReply = "EchoReply";
}

/// <summary>
/// How a drill watches a handover: on the wire (<see cref="FailoverWireProbe"/>) or through the engine's own view of
/// the adverts it hears (<see cref="FailoverEngineProbe"/>, in a simulation). Observations arrive from any thread.
/// </summary>
internal abstract class FailoverProbe : IDisposable
{
    private readonly ConcurrentQueue<FailoverObservation> _seen = new();
    private readonly SemaphoreSlim _signal = new(0);

    /// <summary>Wire or Engine.</summary>
    public abstract string MeasuredOn { get; }

    /// <summary>Everything seen so far, in arrival order.</summary>
    public IReadOnlyList<FailoverObservation> Observations => [.. _seen];

    /// <summary>Begins ARP and echo probes of the virtual address (after the bow-out).</summary>
    public virtual void StartProbing()
    {
    }

    /// <summary>Looks once more where the probe looks by polling (the engine probe); the wire probe is told by its capture.</summary>
    public virtual void Poll()
    {
    }

    /// <summary>
    /// Polls and waits until <paramref name="done"/> holds or the deadline (a Stopwatch timestamp) passes; each
    /// observation wakes it, and it looks again at least every 20 ms.
    /// </summary>
    public bool WaitUntil(Func<bool> done, long deadline, CancellationToken cancel)
    {
        while (true)
        {
            Poll();
            if (done())
            {
                return true;
            }

            var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
            if (left <= TimeSpan.Zero)
            {
                return false;
            }

            _ = _signal.Wait(left < TimeSpan.FromMilliseconds(20) ? left : TimeSpan.FromMilliseconds(20), cancel);
        }
    }

    /// <summary>The first observation after <paramref name="since"/> that matches.</summary>
    public FailoverObservation? First(long since, Func<FailoverObservation, bool> match) =>
        _seen.FirstOrDefault(o => o.Timestamp >= since && match(o));

    protected void Add(FailoverObservation observation)
    {
        _seen.Enqueue(observation);
        _ = _signal.Release();
    }

    public virtual void Dispose() => _signal.Dispose();
}
