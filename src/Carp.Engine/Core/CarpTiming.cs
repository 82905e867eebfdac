namespace Carp.Engine.Core;

/// <summary>
/// CARP intervals in integer microseconds, as the kernels compute them:
/// advskew contributes <c>advskew × 1000000 / 256</c> (docs/protocol.md#states-and-timers).
/// </summary>
public static class CarpTiming
{
    public const long MicrosecondsPerSecond = 1_000_000;

    /// <summary>The advert interval advbase + advskew/256.</summary>
    public static long Interval(byte advBase, byte advSkew) => (advBase * MicrosecondsPerSecond) + SkewMicroseconds(advSkew);

    public static long MasterDown(MasterDownFormula formula, byte advBase, byte advSkew) => formula switch
    {
        MasterDownFormula.ThreeIntervals => 3 * Interval(advBase, advSkew),
        _ => (3 * advBase * MicrosecondsPerSecond) + SkewMicroseconds(advSkew),
    };

    /// <summary>"The master will obviously time out": 3 × advbase + advskew/256 of the receiver (all implementations).</summary>
    public static long ObviousTimeout(byte advBase, byte advSkew) => (3 * advBase * MicrosecondsPerSecond) + SkewMicroseconds(advSkew);

    private static long SkewMicroseconds(byte advSkew) => advSkew * MicrosecondsPerSecond / 256;
}
