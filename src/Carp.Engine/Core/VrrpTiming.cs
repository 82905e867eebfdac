namespace Carp.Engine.Core;

/// <summary>
/// VRRPv3 timers in integer microseconds (RFC 5798 §6.1 as updated by RFC 9568; docs/protocol.md#vrrp-timers). Intervals
/// are centiseconds on the wire; the skew is computed in microseconds, so no centisecond is lost to rounding.
/// </summary>
public static class VrrpTiming
{
    public const long MicrosecondsPerCentisecond = 10_000;

    /// <summary>An interval of <paramref name="centiseconds"/>.</summary>
    public static long Interval(ushort centiseconds) => centiseconds * MicrosecondsPerCentisecond;

    /// <summary>Skew_Time: (256 − priority) × Master_Adver_Interval / 256.</summary>
    public static long Skew(byte priority, ushort masterAdverInterval) => (256 - priority) * Interval(masterAdverInterval) / 256;

    /// <summary>Master_Down_Interval: 3 × Master_Adver_Interval + Skew_Time.</summary>
    public static long MasterDown(byte priority, ushort masterAdverInterval) => (3 * Interval(masterAdverInterval)) + Skew(priority, masterAdverInterval);
}
