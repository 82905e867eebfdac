using System.Management.Automation;
using System.Net.Sockets;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace CarpPS.Commands;

/// <summary>
/// A failover drill on the MASTER of each named vhid (docs/protocol.md#failover-test): it bows out as
/// Suspend-CarpInterface does, measures on the carpdev how soon a backup takes over and the virtual address answers
/// again, takes the vhid back at once if no backup takes over within the bound plus a margin, and otherwise returns
/// after -Duration. One <see cref="CarpFailoverTestResult"/> per vhid, also appended to the history.
/// </summary>
[Cmdlet(VerbsLifecycle.Invoke, "CarpFailoverTest", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Medium,
    HelpUri = CarpHelpUri.Base + "Invoke-CarpFailoverTest.md")]
[OutputType(typeof(CarpFailoverTestResult))]
public sealed class InvokeCarpFailoverTestCommand : CarpCmdlet, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private bool _yesToAll;
    private bool _noToAll;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CarpInterfaceNameCompleter))]
    public string[] Name { get; set; } = [];

    /// <summary>Seconds the peer keeps the vhid before this node returns.</summary>
    [Parameter]
    [ValidateRange(0, 3600)]
    public int Duration { get; set; } = 10;

    /// <summary>Take mastership back by force when preempt would not bring it back.</summary>
    [Parameter]
    public SwitchParameter Return { get; set; }

    /// <summary>A folder for the timeline pictures (SVG and PNG).</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? ReportPath { get; set; }

    /// <summary>The history file; default $env:CARPPS_FAILOVER_HISTORY, else /var/lib/carpps/failover-tests.jsonl.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public string? HistoryPath { get; set; }

    /// <summary>Milliseconds after the bound before the vhid is taken back when no backup took over.</summary>
    [Parameter]
    [ValidateRange(100, 60000)]
    public int MarginMilliseconds { get; set; } = 1000;

    [Parameter]
    public SwitchParameter Force { get; set; }

    protected override void ProcessRecord()
    {
        foreach (var current in SelectInterfaces(Name))
        {
            if (Drill(current) is { } result)
            {
                WriteObject(result);
            }
        }
    }

    protected override void StopProcessing() => _stopping.Cancel();

    public void Dispose() => _stopping.Dispose();

    private CarpFailoverTestResult? Drill(VirtualHostStatus current)
    {
        var name = current.Name;
        if (current.Protocol == VirtualHostProtocol.Vrrp)
        {
            // The drill reads CARP adverts and bounds (advbase, bow-out) on the wire: it would misjudge a VRRP handover.
            WriteError(CarpErrors.Custom(
                new InvalidOperationException($"{name} speaks VRRPv3: failover tests measure CARP's bow-out and advbase, not VRRP's priority 0 and interval."),
                nameof(CarpErrorCode.InvalidArgument), ErrorCategory.InvalidOperation,
                $"Test {name}'s failover by hand: Suspend-CarpInterface -Name {name} (its backup takes over after the skew time), then Resume-CarpInterface -Name {name}.", name));
            return null;
        }

        if (current.State != CarpState.Master || current.Maintenance)
        {
            WriteError(CarpErrors.Custom(
                new InvalidOperationException($"{name} is {current.State}{(current.Maintenance ? " (maintenance mode)" : "")}: a failover test runs on the MASTER of the vhid."),
                CarpErrors.FailoverTestNotMaster, ErrorCategory.InvalidOperation,
                $"Run Invoke-CarpFailoverTest on the node whose Get-CarpStatus -Name {name} shows Master (Resume-CarpInterface first if it is suspended).", name));
            return null;
        }

        if (!ShouldProcess(name, $"Failover test: bow out, let a backup hold vhid {current.Vhid} for {Duration} s, then return") ||
            !ConfirmFailover(Force, $"{name} is MASTER; the test hands its addresses to a backup for {Duration} s.", name, ref _yesToAll, ref _noToAll))
        {
            return null;
        }

        var service = Service;
        CarpFailoverTestResult? result = null;
        var ran = TryRun(name, () =>
        {
            var vip = current.Addresses.Select(a => a.Address).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
            using FailoverProbe probe = SessionKind == CarpSessionKind.Simulation
                ? new FailoverEngineProbe(service, name)
                : new FailoverWireProbe(current.CarpDev, current.Vhid, vip);
            var options = new FailoverDrillOptions(TimeSpan.FromSeconds(Duration), Return, TimeSpan.FromMilliseconds(MarginMilliseconds));
            result = new FailoverDrill(service, current, probe, options, WriteVerboseFromAnyThread, _stopping.Token).Run();
        });
        if (!ran || result is null)
        {
            return null;
        }

        if (ReportPath is not null)
        {
            var folder = GetUnresolvedProviderPathFromPSPath(ReportPath);
            _ = TryRun(name, () => result.Report.AddRange(FailoverTimelineChart.Write(result, folder)));
        }

        var history = FailoverHistory.Resolve(HistoryPath is null ? null : GetUnresolvedProviderPathFromPSPath(HistoryPath));
        try
        {
            FailoverHistory.Append(history, result);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            WriteError(CarpErrors.Custom(new IOException($"The result of {name}'s failover test was not added to the history {history}: {e.Message}", e),
                CarpErrors.FailoverHistoryUnavailable, ErrorCategory.WriteError,
                $"Run as root, or name a writable file with -HistoryPath or ${FailoverHistory.EnvironmentVariable}.", history));
        }

        if (result.Verdict == CarpFailoverVerdict.Failed)
        {
            WriteWarning($"Failed: {string.Join("; ", result.Reasons)}");
        }

        return result;
    }

    // The drill runs on the pipeline thread; verbose lines are written from it only.
    private void WriteVerboseFromAnyThread(string text) => WriteVerbose(text);
}
