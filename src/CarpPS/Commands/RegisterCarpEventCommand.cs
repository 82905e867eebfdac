using System.Diagnostics.CodeAnalysis;
using System.Management.Automation;
using Microsoft.PowerShell.Commands;

namespace CarpPS.Commands;

/// <summary>
/// Subscribes the session to CARP engine events through PowerShell's event manager, so -Action,
/// -SourceIdentifier, -MessageData, -Forward, -MaxTriggerCount, -SupportEvent, Get-Event, Wait-Event and
/// Unregister-Event all work as for Register-ObjectEvent. -Action blocks run on the session's pipeline
/// thread, never on the engine's. Unregistering ends the engine subscription.
/// </summary>
[Cmdlet(VerbsLifecycle.Register, "CarpEvent", HelpUri = CarpHelpUri.Base + "Register-CarpEvent.md")]
[SuppressMessage("Design", "CA1001", Justification = "The event source belongs to the PowerShell event subscriber, which disposes it when unregistered.")]
[OutputType(typeof(PSEventJob))]
public sealed class RegisterCarpEventCommand : ObjectEventRegistrationBase
{
    private CarpEventSource? _source;

    /// <summary>Only events of these carp interfaces (wildcards allowed).</summary>
    [Parameter(Position = 0)]
    [SupportsWildcards]
    [ValidateNotNullOrEmpty]
    [ArgumentCompleter(typeof(CarpInterfaceNameCompleter))]
    public string[]? Name { get; set; }

    /// <summary>Only these kinds of event.</summary>
    [Parameter]
    [ValidateNotNullOrEmpty]
    public CarpEventType[]? EventType { get; set; }

    [Parameter]
    public CarpSession? Session { get; set; }

    protected override object GetSourceObject() => _source!;

    protected override string GetSourceObjectEventName() => nameof(CarpEventSource.CarpEventReceived);

    protected override void EndProcessing()
    {
        var source = new CarpEventSource(Name, EventType);
        CarpSession? session = null;
        try
        {
            session = Session ?? CarpSessionRegistry.Current();
            source.Start(session.Service);
        }
        catch (Exception e)
        {
            source.Dispose();
            ThrowTerminatingError(CarpErrors.FromException(e, Session));
        }

        _source = source;
        try
        {
            base.EndProcessing();
        }
        catch
        {
            source.Dispose();
            throw;
        }

        // The base class subscribed the event manager to the source; end the engine subscription with it.
        var subscriber = Events.Subscribers.FirstOrDefault(s => ReferenceEquals(s.SourceObject, source));
        if (subscriber is null)
        {
            source.Dispose();
            return;
        }

        subscriber.Unsubscribed += OnUnsubscribed;

        // Remove-Module, and the close of the session, end the subscription too.
        CarpSessionRegistry.TrackSubscriber(System.Management.Automation.Runspaces.Runspace.DefaultRunspace, subscriber, source, session!);
    }

    private static void OnUnsubscribed(object sender, PSEventUnsubscribedEventArgs e)
    {
        CarpSessionRegistry.UntrackSubscriber(e.EventSubscriber);
        if (e.EventSubscriber.SourceObject is CarpEventSource source)
        {
            source.Dispose();
        }
    }
}
