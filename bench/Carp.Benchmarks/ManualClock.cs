namespace Carp.Benchmarks;

/// <summary>
/// A monotonic clock that moves only when told: <see cref="GetTimestamp"/> is a field read, so it adds
/// nothing to the measurement, and the benchmarks can let timers fall due exactly as the engine loop does.
/// </summary>
internal sealed class ManualClock : TimeProvider
{
    private long _now = TimeSpan.TicksPerSecond;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _now;

    public void Advance(long ticks) => _now += ticks;
}
