using System.Diagnostics;

namespace Carp.Network.Tests.Scenarios;

/// <summary>Monotonic time for measurements (Stopwatch ticks).</summary>
internal static class Clock
{
    public static long Now => Stopwatch.GetTimestamp();

    public static double Ms(long from, long to) => (to - from) * 1000.0 / Stopwatch.Frequency;

    public static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static long After(long from, TimeSpan span) => from + (long)(span.TotalSeconds * Stopwatch.Frequency);
}

/// <summary>Something observed, with the monotonic time it was observed at.</summary>
internal readonly record struct Stamped<T>(long At, T Item);
