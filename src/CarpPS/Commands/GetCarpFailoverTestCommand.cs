using System.Management.Automation;

namespace CarpPS.Commands;

/// <summary>
/// The failover tests run so far, from the history Invoke-CarpFailoverTest appends to (oldest first; -Last N keeps
/// the newest N per call), or with -Scheduled the tests Register-CarpFailoverTest scheduled.
/// </summary>
[Cmdlet(VerbsCommon.Get, "CarpFailoverTest", DefaultParameterSetName = HistorySet, HelpUri = CarpHelpUri.Base + "Get-CarpFailoverTest.md")]
[OutputType(typeof(CarpFailoverTestResult), ParameterSetName = [HistorySet])]
[OutputType(typeof(CarpFailoverTestSchedule), ParameterSetName = [ScheduledSet])]
public sealed class GetCarpFailoverTestCommand : PSCmdlet
{
    private const string HistorySet = "History";
    private const string ScheduledSet = "Scheduled";

    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    public string[] Name { get; set; } = [];

    /// <summary>Only the newest N results.</summary>
    [Parameter(ParameterSetName = HistorySet)]
    [ValidateRange(1, int.MaxValue)]
    public int? Last { get; set; }

    [Parameter(ParameterSetName = HistorySet)]
    [ValidateNotNullOrEmpty]
    public string? HistoryPath { get; set; }

    [Parameter(Mandatory = true, ParameterSetName = ScheduledSet)]
    public SwitchParameter Scheduled { get; set; }

    [Parameter(ParameterSetName = ScheduledSet)]
    [ValidateNotNullOrEmpty]
    public string UnitDirectory { get; set; } = FailoverSchedule.DefaultUnitDirectory;

    protected override void ProcessRecord()
    {
        var patterns = Name.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase)).ToList();
        bool Wanted(string name) => patterns.Count == 0 || patterns.Any(p => p.IsMatch(name));
        if (Scheduled)
        {
            WriteObject(FailoverSchedule.Read(GetUnresolvedProviderPathFromPSPath(UnitDirectory)).Where(s => Wanted(s.Name)), enumerateCollection: true);
            return;
        }

        var path = FailoverHistory.Resolve(HistoryPath is null ? null : GetUnresolvedProviderPathFromPSPath(HistoryPath));
        IReadOnlyList<CarpFailoverTestResult> all;
        try
        {
            all = FailoverHistory.Read(path, (line, problem) => WriteWarning($"{path} line {line} is not a failover test result: {problem}"));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(CarpErrors.Custom(new IOException($"The failover test history {path} cannot be read: {e.Message}", e),
                CarpErrors.FailoverHistoryUnavailable, ErrorCategory.ReadError, "Run as root (the history is root's alone), or name the file with -HistoryPath.", path));
            return;
        }

        var selected = all.Where(r => Wanted(r.Name)).ToList();
        if (Last is { } last && selected.Count > last)
        {
            selected = selected[^last..];
        }

        WriteObject(selected, enumerateCollection: true);
    }
}
