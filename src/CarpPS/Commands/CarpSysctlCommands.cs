using System.Management.Automation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace CarpPS.Commands;

/// <summary><c>sysctl net.inet.carp</c>.</summary>
[Cmdlet(VerbsCommon.Get, "CarpSysctl", HelpUri = CarpHelpUri.Base + "Get-CarpSysctl.md")]
[OutputType(typeof(CarpSysctl))]
public sealed class GetCarpSysctlCommand : CarpCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CarpSysctlNameCompleter))]
    public string[]? Name { get; set; }

    protected override void ProcessRecord()
    {
        var service = Service;
        CarpSysctls? values = null;
        if (!TryRun(Name, () => values = service.GetSysctls()))
        {
            return;
        }

        foreach (var descriptor in CarpSysctlNames.Select(Name, this))
        {
            WriteObject(new CarpSysctl(descriptor, values!));
        }
    }
}

/// <summary>
/// <c>sysctl net.inet.carp.preempt=1</c>, by name (-Name preempt -Value 1) or with one parameter per
/// setting (-Preempt $true -Log 2). Writing demotion adds the value to the current demotion, as on FreeBSD.
/// </summary>
[Cmdlet(VerbsCommon.Set, "CarpSysctl", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium, DefaultParameterSetName = ByNameSet, HelpUri = CarpHelpUri.Base + "Set-CarpSysctl.md")]
[OutputType(typeof(CarpSysctl))]
public sealed class SetCarpSysctlCommand : CarpCmdlet
{
    private const string ByNameSet = "ByName";
    private const string BySettingSet = "BySetting";
    private bool _yesToAll;
    private bool _noToAll;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true, ParameterSetName = ByNameSet)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CarpSysctlNameCompleter))]
    public string Name { get; set; } = string.Empty;

    [Parameter(Mandatory = true, Position = 1, ValueFromPipelineByPropertyName = true, ParameterSetName = ByNameSet)]
    public long Value { get; set; }

    [Parameter(ParameterSetName = BySettingSet)]
    public bool? Allow { get; set; }

    [Parameter(ParameterSetName = BySettingSet)]
    public bool? Preempt { get; set; }

    [Parameter(ParameterSetName = BySettingSet)]
    public int? Log { get; set; }

    [Parameter(ParameterSetName = BySettingSet)]
    public bool? ArpBalance { get; set; }

    [Parameter(ParameterSetName = BySettingSet)]
    public int? Demotion { get; set; }

    [Parameter(ParameterSetName = BySettingSet)]
    public int? IfDownDemotionFactor { get; set; }

    [Parameter(ParameterSetName = BySettingSet)]
    public int? SendErrDemotionFactor { get; set; }

    [Parameter(ParameterSetName = BySettingSet)]
    public int? Dscp { get; set; }

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    /// <summary>Skips the confirmation of a change that forces a failover (allow 0, a demotion step, preempt 1 while a vhid is BACKUP).</summary>
    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void BeginProcessing()
    {
        if (ParameterSetName == BySettingSet && Settings().Count == 0)
        {
            ThrowCarpError(CarpErrorCode.InvalidArgument, "Set-CarpSysctl was given nothing to set.",
                "Pass -Name and -Value, or at least one of -Allow, -Preempt, -Log, -ArpBalance, -Demotion, -IfDownDemotionFactor, -SendErrDemotionFactor, -Dscp.", null);
        }
    }

    protected override void ProcessRecord()
    {
        var service = Service;
        var settings = ParameterSetName == ByNameSet ? [(Name, Value)] : Settings();

        // Every (name, value) is checked first, on a copy of the current settings: the catalog refuses unknown
        // names, read-only knobs and out-of-range values (for demotion: the step), so nothing is asked or set
        // when one of them is bad.
        CarpSysctls? current = null;
        if (!TryRun(Name, () => current = service.GetSysctls()))
        {
            return;
        }

        var check = current!;
        foreach (var (name, value) in settings)
        {
            try
            {
                check = SysctlCatalog.Apply(check, name, value);
            }
            catch (Exception e) when (e is not (PipelineStoppedException or ActionPreferenceStopException))
            {
                if (ParameterSetName == ByNameSet)
                {
                    WriteError(CarpErrors.FromException(e, name));
                    return;
                }

                ThrowTerminatingError(CarpErrors.FromException(e, name));
            }
        }

        foreach (var (name, value) in settings)
        {
            var descriptor = SysctlCatalog.Find(name)!;
            var action = descriptor.Name == "demotion" ? $"Add {value} to" : $"Set to {value}";
            if (!ShouldProcess(descriptor.FullName, action))
            {
                continue;
            }

            if (FailoverQuery(service, current!, descriptor.Name, value) is { } query &&
                !ConfirmFailover(Force, query, descriptor.FullName, ref _yesToAll, ref _noToAll))
            {
                continue;
            }

            CarpSysctls? updated = null;
            if (TryRun(name, () => updated = service.SetSysctl(descriptor.Name, value)))
            {
                current = updated!;
                var now = new CarpSysctl(descriptor, updated!);
                if (descriptor.Name == "demotion" && now.Value != value)
                {
                    // FreeBSD's demotion sysctl adds what is written: say what it is now, or -Demotion 10 twice surprises with 20.
                    WriteWarning($"{descriptor.FullName} adds the value written (as on FreeBSD): it was {now.Value - value}, it is now {now.Value}. " +
                        $"To return to 0, set -Demotion {-now.Value}.");
                }

                WriteVerbose($"{descriptor.FullName} is now {now.Value}.");
                if (PassThru)
                {
                    WriteObject(now);
                }
            }
        }
    }

    /// <summary>
    /// Why writing <paramref name="value"/> to <paramref name="name"/> can move MASTER to another host, or null. A MASTER hears
    /// no backups, so only what makes it give mastership up asks: allow=0 (every MASTER bows out). A demotion step changes the
    /// skew every vhid advertises: it asks when a peer was heard on some vhid. preempt=1 asks when a BACKUP has heard a peer master.
    /// </summary>
    private string? FailoverQuery(ICarpService service, CarpSysctls current, string name, long value)
    {
        if (name is not ("allow" or "demotion" or "preempt"))
        {
            return null;
        }

        IReadOnlyList<VirtualHostStatus> interfaces = [];
        if (!TryRun(name, () => interfaces = service.GetInterfaces()))
        {
            return null;
        }

        switch (name)
        {
            case "allow" when value == 0 && current.Allow:
                var masters = interfaces.Where(i => i.State == CarpState.Master).Select(i => i.Name).ToList();
                return masters.Count == 0 ? null
                    : $"Setting net.inet.carp.allow to 0 makes the MASTER vhid(s) {string.Join(", ", masters)} bow out and hand their addresses to a backup.";
            case "demotion" when value != 0:
                var peered = interfaces.Where(PeerSeen).Select(i => i.Name).ToList();
                return peered.Count == 0 ? null
                    : $"Adding {value} to net.inet.carp.demotion changes the skew every vhid advertises and can move MASTER of {string.Join(", ", peered)} to another host.";
            case "preempt" when value != 0 && !current.Preempt:
                var backups = interfaces.Where(i => i.State == CarpState.Backup && PeerSeen(i)).Select(i => i.Name).ToList();
                return backups.Count == 0 ? null
                    : $"Setting net.inet.carp.preempt to 1 lets the BACKUP vhid(s) {string.Join(", ", backups)} take MASTER over from a peer.";
            default:
                return null;
        }
    }

    /// <summary>The settings given as parameters, as (sysctl name, value) in catalog order.</summary>
    private List<(string Name, long Value)> Settings()
    {
        var settings = new List<(string, long)>();
        void Add(string name, long? value)
        {
            if (value is { } v)
            {
                settings.Add((name, v));
            }
        }

        Add("allow", Allow is { } allow ? (allow ? 1 : 0) : null);
        Add("preempt", Preempt is { } preempt ? (preempt ? 1 : 0) : null);
        Add("log", Log);
        Add("arpbalance", ArpBalance is { } arpBalance ? (arpBalance ? 1 : 0) : null);
        Add("demotion", Demotion);
        Add("ifdown_demotion_factor", IfDownDemotionFactor);
        Add("senderr_demotion_factor", SendErrDemotionFactor);
        Add("dscp", Dscp);
        return settings;
    }
}

/// <summary>Looks sysctls up by short or full name, with wildcards.</summary>
internal static class CarpSysctlNames
{
    public static IEnumerable<SysctlDescriptor> Select(IReadOnlyList<string>? names, CarpCmdlet cmdlet)
    {
        if (names is null || names.Count == 0)
        {
            return SysctlCatalog.All;
        }

        var selected = new List<SysctlDescriptor>();
        foreach (var name in names)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var matches = SysctlCatalog.All.Where(d => pattern.IsMatch(d.Name) || pattern.IsMatch(d.FullName)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                cmdlet.WriteCarpError(CarpErrorCode.UnknownSysctl, $"There is no CARP sysctl named '{name}'.",
                    "Use one of: " + string.Join(", ", SysctlCatalog.All.Select(d => d.Name)) + ".", name);
            }

            selected.AddRange(matches.Where(m => !selected.Contains(m)));
        }

        return selected;
    }
}

/// <summary>Completes sysctl names.</summary>
public sealed class CarpSysctlNameCompleter : IArgumentCompleter
{
    public IEnumerable<CompletionResult> CompleteArgument(string commandName, string parameterName, string wordToComplete,
        System.Management.Automation.Language.CommandAst commandAst, System.Collections.IDictionary fakeBoundParameters) =>
        CompletionHelper.Complete(SysctlCatalog.All.Select(d => (d.Name, d.Description)), wordToComplete);
}
