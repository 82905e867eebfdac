using System.Management.Automation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace CarpPS;

/// <summary>The kinds of engine events Register-CarpEvent can subscribe to.</summary>
public enum CarpEventType
{
    StateChanged,
    DemotionChanged,
    BadPacket,
    MaintenanceChanged,
}

/// <summary>What <c>$Event.SourceEventArgs</c> holds for a CARP event. Carries no secret.</summary>
public sealed class CarpEventArgs : EventArgs
{
    internal CarpEventArgs(CarpEventType eventType, CarpEvent carpEvent)
    {
        EventType = eventType;
        Event = carpEvent;
    }

    public CarpEventType EventType { get; }

    /// <summary>The carp interface the event is about.</summary>
    public string Interface => Event.Interface;

    public byte Vhid => Event.Vhid;

    public DateTimeOffset Timestamp => Event.Timestamp;

    /// <summary>The engine's event: CarpStateChangedEvent (OldState, NewState, Reason, Peer), CarpDemotionChangedEvent, CarpBadPacketEvent or CarpMaintenanceChangedEvent (Maintenance).</summary>
    public CarpEvent Event { get; }

    /// <summary>For StateChanged: the state left; otherwise null.</summary>
    public CarpState? OldState => (Event as CarpStateChangedEvent)?.OldState;

    /// <summary>For StateChanged: the state entered; otherwise null.</summary>
    public CarpState? NewState => (Event as CarpStateChangedEvent)?.NewState;

    /// <summary>For StateChanged: why the state changed; otherwise null.</summary>
    public TransitionReason? Reason => (Event as CarpStateChangedEvent)?.Reason;

    /// <summary>For MaintenanceChanged: true when suspended, false when resumed; otherwise null.</summary>
    public bool? Maintenance => (Event as CarpMaintenanceChangedEvent)?.Maintenance;

    public override string ToString() => Event.ToString();

    internal static CarpEventType TypeOf(CarpEvent carpEvent) => carpEvent switch
    {
        CarpStateChangedEvent => CarpEventType.StateChanged,
        CarpDemotionChangedEvent => CarpEventType.DemotionChanged,
        CarpMaintenanceChangedEvent => CarpEventType.MaintenanceChanged,
        _ => CarpEventType.BadPacket,
    };
}

/// <summary>
/// The object whose .NET event Register-CarpEvent hands to PowerShell's event manager. It holds one
/// engine subscription, filters it, and raises <see cref="CarpEventReceived"/> on the engine's thread;
/// the event manager queues the event, and -Action blocks run later on the session's pipeline thread.
/// </summary>
public sealed class CarpEventSource : IDisposable
{
    private readonly WildcardPattern[]? _names;
    private readonly HashSet<CarpEventType>? _types;
    private IDisposable? _subscription;

    internal CarpEventSource(IReadOnlyList<string>? names, IReadOnlyList<CarpEventType>? types)
    {
        _names = names is { Count: > 0 } ? [.. names.Select(n => new WildcardPattern(n, WildcardOptions.IgnoreCase))] : null;
        _types = types is { Count: > 0 } ? [.. types] : null;
    }

    /// <summary>Raised for each engine event that passes the filters.</summary>
    public event EventHandler<CarpEventArgs>? CarpEventReceived;

    /// <summary>True while the engine subscription is open; false once the PowerShell subscriber was unregistered.</summary>
    public bool IsActive => Volatile.Read(ref _subscription) is not null;

    internal void Start(ICarpService service) => _subscription = service.Subscribe(OnEngineEvent);

    /// <summary>Ends the engine subscription; called when the PowerShell subscriber is unregistered.</summary>
    public void Dispose()
    {
        try
        {
            Interlocked.Exchange(ref _subscription, null)?.Dispose();
        }
        catch (ObjectDisposedException)
        {
            // The engine was closed first (Disconnect-CarpService): its subscriptions are gone with it.
        }
    }

    /// <summary>Filters and raises one event, for a caller that holds the engine subscription itself (<see cref="CarpActionFeed"/>).</summary>
    internal void Deliver(CarpEvent carpEvent) => OnEngineEvent(carpEvent);

    private void OnEngineEvent(CarpEvent carpEvent)
    {
        var type = CarpEventArgs.TypeOf(carpEvent);
        if ((_types is not null && !_types.Contains(type)) ||
            (_names is not null && !_names.Any(p => p.IsMatch(carpEvent.Interface))))
        {
            return;
        }

        try
        {
            CarpEventReceived?.Invoke(this, new CarpEventArgs(type, carpEvent));
        }
        catch (Exception)
        {
            // Never let a subscriber's failure reach the engine's thread.
        }
    }
}
