using System.Globalization;
using System.Management.Automation;
using Carp.Engine.Core;

namespace CarpPS;

/// <summary>
/// -Interval of a VRRP interface (docs/protocol.md#vrrp): a TimeSpan, as PowerShell users pass durations, also written as
/// '100ms', '0.1s' (quoted: unquoted, PowerShell reads 0.1s as a number) or '00:00:00.1'. A bare number is refused: PowerShell would read it as ticks, and VRRP's own unit
/// (centiseconds) would be a guess. The engine takes whole centiseconds from 10 ms to 40.95 s (<see cref="CarpInterval.ToCentiseconds"/>).
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class CarpIntervalTransformationAttribute(string parameter = "Interval") : ArgumentTransformationAttribute
{
    /// <summary>The parameter's name, as errors say it.</summary>
    public string Parameter { get; } = parameter;

    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        // ConvertTo-Json writes a TimeSpan as an object: Get-CarpInterface | ConvertTo-Json | ConvertFrom-Json | New-CarpInterface.
        if (inputData is PSObject { BaseObject: PSCustomObject } custom && custom.Properties["Ticks"]?.Value is { } ticks)
        {
            return TimeSpan.FromTicks(Convert.ToInt64(ticks, CultureInfo.InvariantCulture));
        }

        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            null => throw new ArgumentTransformationMetadataException($"-{Parameter} needs a duration such as 100ms."),
            TimeSpan span => span,
            string text => CarpInterval.Parse(text, Parameter),
            // 0 needs no unit: it is "off" / "back to back" for the announcement settings (VRRP's interval has no 0).
            _ when Parameter != "Interval" && (value.GetType().IsPrimitive || value is decimal) && Convert.ToDouble(value, CultureInfo.InvariantCulture) == 0 => TimeSpan.Zero,
            short number => throw new ArgumentTransformationMetadataException(
                $"-{Parameter} {number} has no unit: PowerShell reads 1s or 0.1s unquoted as a number (a short); write '0.1s' in quotes, or 100ms."),
            _ when value.GetType().IsPrimitive || value is decimal =>
                throw new ArgumentTransformationMetadataException(
                    $"-{Parameter} {value} has no unit: write a duration such as 100ms, '0.1s' or '1s'" +
                    (Parameter == "Interval" ? " (VRRP's interval is 10 ms to 40.95 s in whole centiseconds)." : ".")),
            _ => throw new ArgumentTransformationMetadataException($"-{Parameter} takes a TimeSpan or a duration such as 100ms, not a {value.GetType().Name}."),
        };
    }
}

/// <summary>Reading and checking a VRRP advertisement interval given as a duration.</summary>
public static class CarpInterval
{
    /// <summary>'100ms', '0.1s', '1.5 s' or a TimeSpan string ('00:00:00.1').</summary>
    public static TimeSpan Parse(string text, string parameter = "Interval")
    {
        var trimmed = text.Trim();
        if (trimmed.EndsWith("ms", StringComparison.OrdinalIgnoreCase) &&
            double.TryParse(trimmed[..^2], NumberStyles.Float, CultureInfo.InvariantCulture, out var ms))
        {
            return TimeSpan.FromMilliseconds(ms);
        }

        if (trimmed.EndsWith('s') && double.TryParse(trimmed[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return TimeSpan.TryParse(trimmed, CultureInfo.InvariantCulture, out var span)
            ? span
            : throw new ArgumentTransformationMetadataException($"-{parameter} '{text}' is not a duration: write e.g. 100ms, '0.1s' or '00:00:00.1'.");
    }

    /// <summary>The interval in centiseconds, or a refusal when it is not whole centiseconds from 10 ms to 40.95 s.</summary>
    public static ushort? ToCentiseconds(TimeSpan interval, out CarpException? refusal)
    {
        refusal = null;
        var centiseconds = interval.Ticks / (TimeSpan.TicksPerMillisecond * 10);
        if (interval.Ticks % (TimeSpan.TicksPerMillisecond * 10) != 0 || !CarpLimits.IsValidInterval((int)Math.Clamp(centiseconds, int.MinValue, int.MaxValue)))
        {
            refusal = new CarpException(CarpErrorCode.InvalidInterval,
                $"interval {interval.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms is not valid: a VRRP advertisement interval is {CarpLimits.IntervalRange}, in whole centiseconds.");
            return null;
        }

        return (ushort)centiseconds;
    }

    /// <summary>-AnnounceSpacing as whole milliseconds (docs/protocol.md#announcements), or a refusal.</summary>
    public static ushort? ToAnnounceSpacingMs(TimeSpan spacing, out CarpException? refusal)
    {
        refusal = null;
        if (spacing.Ticks % TimeSpan.TicksPerMillisecond != 0 || spacing < TimeSpan.Zero || !CarpLimits.IsValidAnnounceSpacing((int)Math.Min(spacing.TotalMilliseconds, int.MaxValue)))
        {
            refusal = new CarpException(CarpErrorCode.InvalidArgument,
                $"announce spacing {spacing.TotalMilliseconds.ToString(CultureInfo.InvariantCulture)} ms is not valid: give whole milliseconds from 0 (back to back) to {CarpLimits.AnnounceSpacingMaxMs} ms.");
            return null;
        }

        return (ushort)spacing.TotalMilliseconds;
    }

    /// <summary>-AnnounceRefresh as whole seconds (docs/protocol.md#announcements), or a refusal.</summary>
    public static int? ToAnnounceRefreshSeconds(TimeSpan refresh, out CarpException? refusal)
    {
        refusal = null;
        if (refresh.Ticks % TimeSpan.TicksPerSecond != 0 || refresh < TimeSpan.Zero || !CarpLimits.IsValidAnnounceRefresh((int)Math.Min(refresh.TotalSeconds, int.MaxValue)))
        {
            refusal = new CarpException(CarpErrorCode.InvalidArgument,
                $"announce refresh {refresh.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s is not valid: give whole seconds from 0 (off) to {CarpLimits.AnnounceRefreshMaxSeconds} s.");
            return null;
        }

        return (int)refresh.TotalSeconds;
    }
}
