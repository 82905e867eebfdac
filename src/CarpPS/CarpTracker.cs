using System.Globalization;
using System.Management.Automation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace CarpPS;

/// <summary>A health tracker as Get-CarpTracker and Add-CarpTracker return it (docs/protocol.md#trackers).</summary>
public sealed class CarpTracker
{
    internal CarpTracker(TrackerStatus status)
    {
        var config = status.Config;
        Name = config.Name;
        Kind = config.Kind;
        Target = config.Target;
        Interface = config.Scope.Kind == TrackerScopeKind.Interface ? config.Scope.Name : null;
        Group = config.Scope.Kind == TrackerScopeKind.Group ? config.Scope.Name : null;
        Interval = config.Interval;
        Timeout = config.Timeout;
        Rise = config.Rise;
        Fall = config.Fall;
        Weight = config.Fault ? null : config.Weight;
        Fault = config.Fault;
        State = status.State;
        LastResult = status.LastResult;
        LastRun = status.LastRun;
        Consecutive = status.Consecutive;
        Demotion = status.Demotion;
        Interfaces = new CarpList(status.Interfaces);
    }

    public string Name { get; }

    /// <summary>Script, Link or File.</summary>
    public TrackerKind Kind { get; }

    /// <summary>The command line (Script), the network interface (Link) or the file (File).</summary>
    public string Target { get; }

    /// <summary>The carp interface it acts on, when it acts on one.</summary>
    public string? Interface { get; }

    /// <summary>The interface group it acts on (every carp interface in it), when it acts on a group.</summary>
    public string? Group { get; }

    /// <summary>Where it acts: the carp interface, or "group NAME".</summary>
    public string Scope => Group is null ? Interface ?? string.Empty : "group " + Group;

    public TimeSpan Interval { get; }

    public TimeSpan Timeout { get; }

    public int Rise { get; }

    public int Fall { get; }

    /// <summary>Added to the demotion while Down (File: × the file's number); null for a fault tracker.</summary>
    public int? Weight { get; }

    /// <summary>While Down the interfaces it acts on stay in INIT.</summary>
    public bool Fault { get; }

    /// <summary>Unknown (not yet Rise successes or Fall failures in a row), Up or Down.</summary>
    public TrackerState State { get; }

    public string? LastResult { get; }

    public DateTimeOffset? LastRun { get; }

    /// <summary>How many probes in a row had the last probe's outcome.</summary>
    public int Consecutive { get; }

    /// <summary>The demotion it adds now.</summary>
    public int Demotion { get; }

    /// <summary>The carp interfaces it covers now.</summary>
    public CarpList Interfaces { get; }

    /// <summary>"weight 50" or "fault".</summary>
    public string Effect => Fault ? "fault" : string.Create(CultureInfo.InvariantCulture, $"weight {Weight}");

    public override string ToString() => $"{Name}: {State}";
}

/// <summary>
/// -Interval and -Timeout of a tracker: a TimeSpan, a number of seconds (keepalived's unit; 2 or 0.5), or a duration
/// written as '500ms', '2s' or '00:00:02'.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field)]
public sealed class TrackerSecondsTransformationAttribute : ArgumentTransformationAttribute
{
    public override object Transform(EngineIntrinsics engineIntrinsics, object inputData)
    {
        var value = inputData is PSObject wrapped ? wrapped.BaseObject : inputData;
        return value switch
        {
            TimeSpan span => span,
            string text when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var seconds) => TimeSpan.FromSeconds(seconds),
            string text => CarpInterval.Parse(text),
            _ when value is not null && (value.GetType().IsPrimitive || value is decimal) =>
                TimeSpan.FromSeconds(Convert.ToDouble(value, CultureInfo.InvariantCulture)),
            _ => throw new ArgumentTransformationMetadataException("a tracker's interval or timeout is a number of seconds or a duration such as 500ms."),
        };
    }
}
