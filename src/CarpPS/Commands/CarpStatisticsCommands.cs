using System.Management.Automation;
using Carp.Engine.Core;

namespace CarpPS.Commands;

/// <summary><c>netstat -s -p carp</c>: the 16 carpstats counters.</summary>
[Cmdlet(VerbsCommon.Get, "CarpStatistics", HelpUri = CarpHelpUri.Base + "Get-CarpStatistics.md")]
[OutputType(typeof(CarpStatisticsInfo))]
public sealed class GetCarpStatisticsCommand : CarpCmdlet
{
    protected override void EndProcessing()
    {
        var service = Service;
        CarpStatisticsSnapshot? snapshot = null;
        if (TryRun(null, () => snapshot = service.GetStatistics()))
        {
            WriteObject(new CarpStatisticsInfo(snapshot!));
        }
    }
}

/// <summary>Zeroes the carpstats counters.</summary>
[Cmdlet(VerbsCommon.Reset, "CarpStatistics", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, HelpUri = CarpHelpUri.Base + "Reset-CarpStatistics.md")]
[OutputType(typeof(void))]
public sealed class ResetCarpStatisticsCommand : CarpCmdlet
{
    protected override void EndProcessing()
    {
        if (ShouldProcess("CARP statistics", "Reset to zero"))
        {
            var service = Service;
            TryRun(null, service.ResetStatistics);
        }
    }
}
