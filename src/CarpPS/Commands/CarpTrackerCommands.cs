using System.Collections;
using System.Management.Automation;
using System.Management.Automation.Language;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace CarpPS.Commands;

/// <summary>The cmdlets of health trackers share how they reach the engine's trackers.</summary>
public abstract class CarpTrackerCmdlet : CarpCmdlet
{
    /// <summary>The engine's trackers (in-process engine, in-memory LAN or carpd); every engine of this module has them.</summary>
    internal ICarpTrackers Trackers => Service as ICarpTrackers
        ?? throw new CarpException(CarpErrorCode.ServiceError, "this engine runs no trackers.");

    /// <summary>The trackers whose names match <paramref name="names"/> (wildcards allowed); a literal name that matches nothing is TrackerNotFound.</summary>
    internal IEnumerable<TrackerStatus> SelectTrackers(IReadOnlyList<string>? names)
    {
        IReadOnlyList<TrackerStatus> all = [];
        if (!TryRun(names, () => all = Trackers.GetTrackers()))
        {
            return [];
        }

        if (names is null || names.Count == 0)
        {
            return all;
        }

        var selected = new List<TrackerStatus>();
        foreach (var name in names)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var matches = all.Where(t => pattern.IsMatch(t.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(CarpErrors.FromException(new CarpException(CarpErrorCode.TrackerNotFound, $"There is no tracker named '{name}'."), name));
            }

            selected.AddRange(matches.Where(m => !selected.Contains(m)));
        }

        return selected;
    }
}

/// <summary>
/// Adds a health tracker (docs/protocol.md#trackers): a command, a link or a file probed every -Interval; -Fall failures in a
/// row demote the carp interface (or every interface of the group) by -Weight, or with -Fault hold it in INIT, until -Rise
/// successes in a row.
/// </summary>
[Cmdlet(VerbsCommon.Add, "CarpTracker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = CarpHelpUri.Base + "Add-CarpTracker.md")]
[OutputType(typeof(CarpTracker))]
public sealed class AddCarpTrackerCommand : CarpTrackerCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = string.Empty;

    /// <summary>Script (a command, exit code 0 = success), Link (a network interface's carrier) or File (a number, 0 = success).</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    public TrackerKind Kind { get; set; }

    /// <summary>The command line (run without a shell), the network interface, or the absolute file path.</summary>
    [Parameter(Mandatory = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Target { get; set; } = string.Empty;

    /// <summary>The carp interface it acts on (or -Group).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ArgumentCompleter(typeof(CarpInterfaceNameCompleter))]
    public string? Interface { get; set; }

    /// <summary>The interface group it acts on: every carp interface in the group (or -Interface).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public string? Group { get; set; }

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TrackerSecondsTransformation]
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(2);

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [TrackerSecondsTransformation]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(1);

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int Rise { get; set; } = 1;

    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int Fall { get; set; } = 1;

    /// <summary>Added to the demotion while it fails: CARP's advertised advskew (up to 240) or OpenBSD's demote byte; VRRP: taken off the priority.</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public int? Weight { get; set; }

    /// <summary>While it fails, the interfaces it acts on stay in INIT (a MASTER bows out first).</summary>
    [Parameter(ValueFromPipelineByPropertyName = true)]
    public SwitchParameter Fault { get; set; }

    protected override void ProcessRecord()
    {
        var hasInterface = !string.IsNullOrEmpty(Interface);
        var hasGroup = !string.IsNullOrEmpty(Group);
        if (hasInterface == hasGroup)
        {
            WriteCarpError(CarpErrorCode.InvalidArgument, $"tracker {Name} needs exactly one of -Interface and -Group.",
                "Name the carp interface it acts on with -Interface carp1, or an interface group with -Group wan.", Name);
            return;
        }

        if (Fault.IsPresent == (Weight is not null))
        {
            WriteCarpError(CarpErrorCode.InvalidArgument, $"tracker {Name} needs either -Weight or -Fault.",
                "-Weight 50 demotes the interfaces while it fails; -Fault holds them in INIT.", Name);
            return;
        }

        var config = new TrackerConfig
        {
            Name = Name,
            Kind = Kind,
            Target = Target,
            Scope = hasInterface ? TrackerScope.Interface(Interface!) : TrackerScope.Group(Group!),
            Interval = Interval,
            Timeout = Timeout,
            Rise = Rise,
            Fall = Fall,
            Weight = Weight ?? 0,
            Fault = Fault.IsPresent,
        };
        try
        {
            config.Validate();
        }
        catch (CarpException e)
        {
            WriteError(CarpErrors.FromException(e, Name));
            return;
        }

        if (!ShouldProcess($"{config.Name}: {config.Kind} {config.Target} on {config.Scope}, {(config.Fault ? "fault" : $"weight {config.Weight}")}", "Add carp tracker"))
        {
            return;
        }

        TrackerStatus? added = null;
        if (TryRun(Name, () => added = Trackers.AddTracker(config)))
        {
            WriteObject(new CarpTracker(added!));
        }
    }
}

/// <summary>Lists health trackers with their state, last result and what they do now.</summary>
[Cmdlet(VerbsCommon.Get, "CarpTracker", HelpUri = CarpHelpUri.Base + "Get-CarpTracker.md")]
[OutputType(typeof(CarpTracker))]
public sealed class GetCarpTrackerCommand : CarpTrackerCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CarpTrackerNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var status in SelectTrackers(Name))
        {
            WriteObject(new CarpTracker(status));
        }
    }
}

/// <summary>Removes health trackers; what they did to their interfaces is undone.</summary>
[Cmdlet(VerbsCommon.Remove, "CarpTracker", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, HelpUri = CarpHelpUri.Base + "Remove-CarpTracker.md")]
[OutputType(typeof(void))]
public sealed class RemoveCarpTrackerCommand : CarpTrackerCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CarpTrackerNameCompleter))]
    public string[] Name { get; set; } = [];

    protected override void ProcessRecord()
    {
        foreach (var tracker in SelectTrackers(Name).ToList())
        {
            var name = tracker.Name;
            if (ShouldProcess($"{name} ({tracker.State}, on {tracker.Config.Scope})", "Remove carp tracker") &&
                TryRun(name, () => Trackers.RemoveTracker(name)))
            {
                WriteVerbose($"Removed tracker {name}{(tracker.Demotion > 0 ? $"; its demotion of {tracker.Demotion} is undone" : string.Empty)}.");
            }
        }
    }
}

/// <summary>Completes tracker names from the running session.</summary>
public sealed class CarpTrackerNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        CommandAst commandAst, IDictionary fakeBoundParameters)
    {
        IReadOnlyList<TrackerStatus> trackers;
        try
        {
            trackers = (CompletionHelper.RunningService(fakeBoundParameters) as ICarpTrackers)?.GetTrackers() ?? [];
        }
        catch (Exception)
        {
            trackers = [];
        }

        return CompletionHelper.Complete(trackers.Select(t => (t.Name, $"{t.Name}: {t.Config.Kind} {t.Config.Target}, {t.State}")), wordToComplete);
    }
}
