using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace CarpPS.Commands;

/// <summary>
/// Runs a script block for each matching engine event in the module's background runspace, even while
/// the user's pipeline is busy (like a keepalived notify script).
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "CarpAction", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, HelpUri = CarpHelpUri.Base + "Register-CarpAction.md")]
[OutputType(typeof(CarpActionRegistration))]
public sealed class RegisterCarpActionCommand : CarpCmdlet
{
    /// <summary>The action; it runs in another runspace, re-created from its text.</summary>
    [Parameter(Mandatory = true, Position = 0)]
    [ValidateNotNull]
    public ScriptBlock? ScriptBlock { get; set; }

    /// <summary>Only events of these carp interfaces (wildcards allowed).</summary>
    [Parameter]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CarpInterfaceNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Only these kinds of event.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public CarpEventType[]? EventType { get; set; }

    protected override void EndProcessing()
    {
        var what = (Name is { Length: > 0 } ? string.Join(", ", Name) : "every interface") +
            (EventType is { Length: > 0 } ? $" ({string.Join(", ", EventType)})" : string.Empty);
        if (!ShouldProcess(what, "Register CARP action"))
        {
            return;
        }

        CarpSession session;
        try
        {
            session = Session ?? CarpSessionRegistry.Current();
            _ = session.Service;
        }
        catch (Exception e)
        {
            ThrowTerminatingError(CarpErrors.FromException(e, Session));
            return;
        }

        CarpActionRegistration registration;
        try
        {
            registration = CarpActionHost.Register(Name, EventType, ScriptBlock!.ToString(), session, Runspace.DefaultRunspace);
        }
        catch (Exception e)
        {
            ThrowTerminatingError(CarpErrors.FromException(e, what));
            return;
        }

        WriteVerbose($"CARP action {registration.Id} runs for events of {what} on {session}.");
        WriteObject(registration);
    }
}

/// <summary>Lists the CARP actions registered in this session.</summary>
[Cmdlet(VerbsCommon.Get, "CarpAction", HelpUri = CarpHelpUri.Base + "Get-CarpAction.md")]
[OutputType(typeof(CarpActionRegistration))]
public sealed class GetCarpActionCommand : PSCmdlet
{
    /// <summary>Only these actions.</summary>
    [Parameter(Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CarpActionIdCompleter))]
    public int[]? Id { get; set; }

    protected override void ProcessRecord()
    {
        var visible = CarpActionHost.Visible(Runspace.DefaultRunspace);
        if (Id is null)
        {
            foreach (var registration in visible.OrderBy(r => r.Id))
            {
                WriteObject(registration);
            }

            return;
        }

        foreach (var id in Id)
        {
            if (visible.FirstOrDefault(r => r.Id == id) is { } registration)
            {
                WriteObject(registration);
            }
            else
            {
                WriteError(CarpActionErrors.NotFoundError(id));
            }
        }
    }
}

/// <summary>Removes CARP actions: they run no more, and their engine subscriptions end.</summary>
[Cmdlet(VerbsLifecycle.Unregister, "CarpAction", SupportsShouldProcess = true, ConfirmImpact = ConfirmImpact.Low, HelpUri = CarpHelpUri.Base + "Unregister-CarpAction.md")]
[OutputType(typeof(void))]
public sealed class UnregisterCarpActionCommand : PSCmdlet
{
    /// <summary>The actions to remove.</summary>
    [Parameter(Mandatory = true, Position = 0, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CarpActionIdCompleter))]
    public int[]? Id { get; set; }

    protected override void ProcessRecord()
    {
        var visible = CarpActionHost.Visible(Runspace.DefaultRunspace);
        foreach (var id in Id!)
        {
            if (visible.FirstOrDefault(r => r.Id == id) is not { } registration)
            {
                WriteError(CarpActionErrors.NotFoundError(id));
                continue;
            }

            if (ShouldProcess($"CARP action {id}", "Unregister"))
            {
                CarpActionHost.Unregister(registration);
                WriteVerbose($"CARP action {id} unregistered after {registration.Invocations} run(s).");
            }
        }
    }
}

internal static class CarpActionErrors
{
    public const string NotFound = CarpErrors.CarpActionNotFound;

    public static ErrorRecord NotFoundError(int id) =>
        CarpErrors.Custom(new ItemNotFoundException($"There is no CARP action with Id {id} in this session."), NotFound,
            ErrorCategory.ObjectNotFound, "Run Get-CarpAction to see the actions registered in this session.", id);
}
