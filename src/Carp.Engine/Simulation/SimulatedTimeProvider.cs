namespace Carp.Engine.Simulation;

/// <summary>
/// Time that only moves when the simulator moves it. Timestamps are 100 ns ticks from the start,
/// so the kernels' integer-microsecond intervals are represented exactly.
/// </summary>
public sealed class SimulatedTimeProvider : TimeProvider
{
    private readonly DateTimeOffset _epoch;

    public SimulatedTimeProvider(DateTimeOffset? epoch = null) => _epoch = epoch ?? new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Time since the simulation started.</summary>
    public TimeSpan Elapsed { get; private set; }

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => Elapsed.Ticks;

    public override DateTimeOffset GetUtcNow() => _epoch + Elapsed;

    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <summary>Moves time forward to <paramref name="timestamp"/>; never backwards.</summary>
    public void AdvanceTo(long timestamp)
    {
        if (timestamp > Elapsed.Ticks)
        {
            Elapsed = TimeSpan.FromTicks(timestamp);
        }
    }
}
