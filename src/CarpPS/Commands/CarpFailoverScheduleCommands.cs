using System.Management.Automation;

namespace CarpPS.Commands;

/// <summary>
/// Schedules a failover test with a systemd timer (docs/protocol.md#failover-test): writes
/// carpps-failover-test-&lt;name&gt;.timer and .service into -UnitDirectory. The calendar expression is checked with
/// systemd-analyze calendar first; a bad one writes nothing. -WhatIf shows the units' text.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "CarpFailoverTest", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    HelpUri = CarpHelpUri.Base + "Register-CarpFailoverTest.md")]
[OutputType(typeof(CarpFailoverTestSchedule))]
public sealed class RegisterCarpFailoverTestCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string Name { get; set; } = "";

    /// <summary>A systemd calendar expression, e.g. 'Sun *-*-* 03:00'.</summary>
    [Parameter(Mandatory = true, Position = 1)]
    [ValidateNotNullOrEmpty]
    public string OnCalendar { get; set; } = "";

    [Parameter]
    [ValidateRange(0, 3600)]
    public int Duration { get; set; } = 10;

    [Parameter]
    public SwitchParameter Return { get; set; }

    /// <summary>The history file the scheduled test appends to (default: Invoke-CarpFailoverTest's).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HistoryPath { get; set; }

    [Parameter]
    [ValidateNotNullOrEmpty]
    public string UnitDirectory { get; set; } = FailoverSchedule.DefaultUnitDirectory;

    protected override void ProcessRecord()
    {
        if (!FailoverSchedule.UnitSafeName().IsMatch(Name))
        {
            ThrowTerminatingError(CarpErrors.Custom(new ArgumentException($"'{Name}' cannot be part of a unit name: one interface name of letters, digits, '_', '.' and '-'."),
                nameof(Carp.Engine.Core.CarpErrorCode.InvalidArgument), ErrorCategory.InvalidArgument, "Register one test per carp interface, by its name.", Name));
        }

        if (FailoverSchedule.CheckCalendar(OnCalendar) is { } refusal)
        {
            ThrowTerminatingError(CarpErrors.Custom(new ArgumentException($"systemd does not accept the calendar expression '{OnCalendar}': {refusal}"),
                CarpErrors.InvalidCalendar, ErrorCategory.InvalidArgument,
                "Give a systemd calendar expression such as 'Sun *-*-* 03:00' or 'daily'; systemd-analyze calendar '<expression>' shows when it elapses. Nothing was written.",
                OnCalendar));
        }

        var directory = GetUnresolvedProviderPathFromPSPath(UnitDirectory);
        var schedule = new CarpFailoverTestSchedule
        {
            Name = Name,
            OnCalendar = OnCalendar,
            Duration = Duration,
            Return = Return,
            TimerPath = FailoverSchedule.TimerPath(directory, Name),
            ServicePath = FailoverSchedule.ServicePath(directory, Name),
        };
        var pwsh = Path.Combine((string)SessionState.PSVariable.GetValue("PSHOME"), "pwsh");
        var module = MyInvocation.MyCommand.Module;
        var manifest = module is null ? "CarpPS" : Path.Combine(module.ModuleBase, "CarpPS.psd1");
        var history = HistoryPath is null ? null : GetUnresolvedProviderPathFromPSPath(HistoryPath);
        var timer = FailoverSchedule.TimerText(schedule);
        var service = FailoverSchedule.ServiceText(schedule, pwsh, manifest, history);
        if (!ShouldProcess($"{schedule.TimerPath}:\n{timer}\n{schedule.ServicePath}:\n{service}", $"Write the failover test units of {Name}", "Register-CarpFailoverTest"))
        {
            return;
        }

        _ = Directory.CreateDirectory(directory);
        File.WriteAllText(schedule.ServicePath, service);
        File.WriteAllText(schedule.TimerPath, timer);
        WriteVerbose($"Wrote {schedule.TimerPath} and {schedule.ServicePath}; 'systemctl daemon-reload; systemctl enable --now {Path.GetFileName(schedule.TimerPath)}' starts the timer.");
        WriteObject(schedule);
    }
}

/// <summary>Removes the units of scheduled failover tests by name (wildcards).</summary>
[Cmdlet(VerbsLifecycle.Unregister, "CarpFailoverTest", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    HelpUri = CarpHelpUri.Base + "Unregister-CarpFailoverTest.md")]
[OutputType(typeof(CarpFailoverTestSchedule))]
public sealed class UnregisterCarpFailoverTestCommand : PSCmdlet
{
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Name { get; set; } = [];

    [Parameter(ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    public string UnitDirectory { get; set; } = FailoverSchedule.DefaultUnitDirectory;

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void ProcessRecord()
    {
        var directory = GetUnresolvedProviderPathFromPSPath(UnitDirectory);
        var all = FailoverSchedule.Read(directory).ToList();
        foreach (var name in Name)
        {
            var pattern = new WildcardPattern(name, WildcardOptions.IgnoreCase);
            var matches = all.Where(s => pattern.IsMatch(s.Name)).ToList();
            if (matches.Count == 0 && !WildcardPattern.ContainsWildcardCharacters(name))
            {
                WriteError(CarpErrors.Custom(new ItemNotFoundException($"No failover test of '{name}' is scheduled in {directory}."),
                    CarpErrors.FailoverTestNotScheduled, ErrorCategory.ObjectNotFound, "Get-CarpFailoverTest -Scheduled lists the scheduled tests.", name));
            }

            foreach (var schedule in matches.Where(s => ShouldProcess(s.TimerPath, "Remove the failover test's timer and service")))
            {
                File.Delete(schedule.TimerPath);
                File.Delete(schedule.ServicePath);
                if (PassThru)
                {
                    WriteObject(schedule);
                }
            }
        }
    }
}
