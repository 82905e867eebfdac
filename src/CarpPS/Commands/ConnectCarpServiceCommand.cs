using System.Management.Automation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace CarpPS.Commands;

/// <summary>
/// Makes the module talk to carpd (its control socket) or to a simulated LAN instead of the in-process
/// engine. The connection belongs to this PowerShell session (runspace).
/// </summary>
[Cmdlet(VerbsCommunications.Connect, "CarpService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, DefaultParameterSetName = CarpdSet, HelpUri = CarpHelpUri.Base + "Connect-CarpService.md")]
[OutputType(typeof(CarpSession))]
public sealed class ConnectCarpServiceCommand : PSCmdlet
{
    private const string CarpdSet = "Carpd";
    private const string SimulationSet = "Simulation";

    /// <summary>carpd's control socket.</summary>
    [Parameter(Position = 0, ParameterSetName = CarpdSet)]
    [ValidateNotNullOrEmpty]
    public string Path { get; set; } = CarpSessionRegistry.DefaultSocketPath;

    /// <summary>Use an engine on an in-memory LAN: no root needed, nothing sent on any network.</summary>
    [Parameter(Mandatory = true, ParameterSetName = SimulationSet)]
    public SwitchParameter Simulation { get; set; }

    /// <summary>The simulated carpdevs. Every simulated engine in this process that names the same carpdev is on the same segment, so two sessions on sim0 behave like two firewalls on one LAN.</summary>
    [Parameter(ParameterSetName = SimulationSet)]
    [ValidateNotNullOrEmpty]
    public string[] CarpDev { get; set; } = ["sim0"];

    [Parameter]
    public SwitchParameter PassThru { get; set; }

    protected override void EndProcessing()
    {
        var simulation = ParameterSetName == SimulationSet;
        var path = simulation ? null : GetUnresolvedProviderPathFromPSPath(Path);
        var target = simulation ? $"simulated LAN ({string.Join(", ", CarpDev)})" : $"carpd at {path}";
        if (simulation)
        {
            var bad = CarpDev.FirstOrDefault(d => !VirtualHostConfig.IsValidInterfaceName(d));
            if (bad is not null)
            {
                ThrowTerminatingError(CarpErrors.Create(CarpErrorCode.UnknownCarpDev, $"'{bad}' is not a usable carpdev name.",
                    $"Use {CarpAdvice.InterfaceNameRule}, e.g. sim0.", bad));
            }
        }

        if (!ShouldProcess(target, "Connect"))
        {
            return;
        }

        CarpSession session;
        try
        {
            session = CarpSessionRegistry.Connect(simulation ? CarpSessionKind.Simulation : CarpSessionKind.Carpd, path, CarpDev);
        }
        catch (Exception e)
        {
            ThrowTerminatingError(CarpErrors.FromException(e, target));
            return;
        }

        WriteVerbose($"Connected to {session}; engine cmdlets in this session now use it.");
        if (PassThru)
        {
            session.HandedOut = true;
            WriteObject(session);
        }
    }
}

/// <summary>Closes a connection; without -Session, the current one, and the module falls back to the in-process engine.</summary>
[Cmdlet(VerbsCommunications.Disconnect, "CarpService", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, HelpUri = CarpHelpUri.Base + "Disconnect-CarpService.md")]
[OutputType(typeof(void))]
public sealed class DisconnectCarpServiceCommand : PSCmdlet
{
    [Parameter(Position = 0, ValueFromPipeline = true)]
    public CarpSession? Session { get; set; }

    protected override void ProcessRecord()
    {
        var target = Session?.ToString() ?? "the current CARP connection";
        if (!ShouldProcess(target, "Disconnect"))
        {
            return;
        }

        var closed = CarpSessionRegistry.Disconnect(Session);
        WriteVerbose(closed is null ? "There was no connection to close." : $"Disconnected from {closed}.");
    }
}
