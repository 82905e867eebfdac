using System.Globalization;
using System.Text.RegularExpressions;
using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>What a health tracker watches (docs/protocol.md#trackers).</summary>
public enum TrackerKind
{
    /// <summary>A command run every interval: exit code 0 is a success; any other code, or a hang killed at the timeout, a failure.</summary>
    Script,
    /// <summary>A network interface's carrier: running (operstate up) is a success.</summary>
    Link,
    /// <summary>A file holding a number: 0 is a success; n &gt; 0 a failure of n × the weight; anything else a failure.</summary>
    File,
}

/// <summary>
/// A health tracker (docs/protocol.md#trackers), like keepalived's <c>track_script</c> / <c>track_interface</c> /
/// <c>track_file</c> or an OpenBSD demote group driven by ifstated: it probes <see cref="Target"/> every
/// <see cref="Interval"/>; <see cref="Fall"/> failures in a row make it Down, <see cref="Rise"/> successes in a row Up.
/// While Down it adds <see cref="Weight"/> to the demotion of every carp interface in its <see cref="Scope"/>, or with
/// <see cref="Fault"/> holds them in INIT.
/// </summary>
public sealed partial record TrackerConfig
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan MaxInterval = TimeSpan.FromHours(1);
    public const int MaxCount = 255;
    public const int MaxWeight = 254;

    /// <summary>1 to 32 letters, digits, '_', '-' or '.', starting with a letter or digit.</summary>
    public required string Name { get; init; }

    public required TrackerKind Kind { get; init; }

    /// <summary>The command line (Script; run without a shell), the interface name (Link) or the file path (File).</summary>
    public required string Target { get; init; }

    /// <summary>The carp interface or interface group it demotes or faults.</summary>
    public required TrackerScope Scope { get; init; }

    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Script: how long the command may run before its process group is killed and the run counts as failed.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive successes that make a Down (or Unknown) tracker Up.</summary>
    public int Rise { get; init; } = 1;

    /// <summary>Consecutive failures that make an Up (or Unknown) tracker Down.</summary>
    public int Fall { get; init; } = 1;

    /// <summary>Added to the demotion while Down (File: × the file's number); ignored with <see cref="Fault"/>.</summary>
    public int Weight { get; init; }

    /// <summary>While Down the interfaces of its scope stay in INIT (<see cref="TransitionReason.TrackerFault"/>).</summary>
    public bool Fault { get; init; }

    /// <summary>The command's argument vector (Script): the target split on white space, with '…' and "…" quoting.</summary>
    public IReadOnlyList<string> Arguments => Kind == TrackerKind.Script ? TrackerCommandLine.Split(Target) : [Target];

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_.-]{0,31}$")]
    private static partial Regex NamePattern();

    [GeneratedRegex("^[A-Za-z0-9_.:@-]{1,15}$")]
    private static partial Regex InterfacePattern();

    /// <summary>Refuses (with <see cref="CarpException"/>, <see cref="CarpErrorCode.InvalidArgument"/>) a tracker that cannot run.</summary>
    public void Validate()
    {
        if (Name is null || !NamePattern().IsMatch(Name))
        {
            throw Invalid($"'{Name}' is not a valid tracker name: 1 to 32 letters, digits, '_', '-' or '.', starting with a letter or digit.");
        }

        if (string.IsNullOrWhiteSpace(Target))
        {
            throw Invalid($"tracker {Name} has no {TargetWord}.");
        }

        switch (Kind)
        {
            case TrackerKind.Script:
                _ = TrackerCommandLine.Split(Target); // throws on an unclosed quote
                break;
            case TrackerKind.Link when !InterfacePattern().IsMatch(Target):
                throw Invalid($"'{Target}' is not a valid interface name for tracker {Name}.");
            case TrackerKind.File when !Path.IsPathFullyQualified(Target):
                throw Invalid($"tracker {Name} needs an absolute file path, not '{Target}'.");
        }

        if (Scope is null || string.IsNullOrWhiteSpace(Scope.Name))
        {
            throw Invalid($"tracker {Name} names no carp interface or group to act on.");
        }

        CheckSpan(Interval, "interval");
        CheckSpan(Timeout, "timeout");
        if (Rise is < 1 or > MaxCount || Fall is < 1 or > MaxCount)
        {
            throw Invalid($"tracker {Name}: rise and fall are 1 to {MaxCount} (rise {Rise}, fall {Fall}).");
        }

        if (!Fault && Weight is < 1 or > MaxWeight)
        {
            throw Invalid($"tracker {Name}: the weight is 1 to {MaxWeight} ({Weight}), or the tracker faults its interfaces instead (fault).");
        }
    }

    private string TargetWord => Kind switch { TrackerKind.Script => "command", TrackerKind.Link => "interface", _ => "file" };

    private void CheckSpan(TimeSpan value, string what)
    {
        if (value < MinInterval || value > MaxInterval)
        {
            throw Invalid(string.Create(CultureInfo.InvariantCulture,
                $"tracker {Name}: the {what} is 0.1 to 3600 seconds ({value.TotalSeconds:0.###} s)."));
        }
    }

    private static CarpException Invalid(string message) => new(CarpErrorCode.InvalidArgument, message);

    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"{Name}: {Kind.ToString().ToLowerInvariant()} {Target} every {Interval.TotalSeconds:0.###} s on {Scope}, {(Fault ? "fault" : $"weight {Weight}")}");
}
