using System.Diagnostics.CodeAnalysis;
using System.Management.Automation.Runspaces;
using Carp.Engine.Hosting;

namespace CarpPS;

/// <summary>
/// A script block that Register-CarpAction runs for each matching engine event, in the module's
/// background runspace. Carries no secret: the script text, the filters, counters and the last error
/// message.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "Unregister-CarpAction, Remove-Module or the end of the registering session ends the engine subscription (Stop).")]
public sealed class CarpActionRegistration
{
    private readonly CarpEventSource _source;
    private int _invocations;
    private int _errors;
    private string? _lastError;
    private long _lastInvocationTicks;
    private int _active = 1;
    private ICarpService? _service;

    internal CarpActionRegistration(int id, IReadOnlyList<string>? name, IReadOnlyList<CarpEventType>? eventType, string scriptBlock,
        CarpSession session, Runspace? owner)
    {
        Id = id;
        Name = name is { Count: > 0 } ? [.. name] : [];
        EventType = eventType is { Count: > 0 } ? [.. eventType.Distinct()] : [];
        ScriptBlock = scriptBlock;
        Session = session;
        Owner = owner;
        _source = new CarpEventSource(name, eventType);
    }

    /// <summary>A number unique in this process; Unregister-CarpAction takes it.</summary>
    public int Id { get; }

    /// <summary>The interface filter (wildcards); empty means every interface.</summary>
    public IReadOnlyList<string> Name { get; }

    /// <summary>The event kinds; empty means every kind.</summary>
    public IReadOnlyList<CarpEventType> EventType { get; }

    /// <summary>The text of the action; it is re-created from this text in the background runspace.</summary>
    public string ScriptBlock { get; }

    /// <summary>How many times the action ran.</summary>
    public int Invocations => Volatile.Read(ref _invocations);

    /// <summary>How many runs wrote an error or threw.</summary>
    public int Errors => Volatile.Read(ref _errors);

    /// <summary>The message of the last error the action wrote or threw; null if none.</summary>
    public string? LastError => Volatile.Read(ref _lastError);

    /// <summary>When the action last ran; null if it never ran.</summary>
    public DateTimeOffset? LastInvocation => Interlocked.Read(ref _lastInvocationTicks) is var ticks and not 0
        ? new DateTimeOffset(ticks, TimeSpan.Zero).ToLocalTime()
        : null;

    /// <summary>The connection whose events run the action; inside the action, CarpPS cmdlets without -Session use it.</summary>
    public CarpSession Session { get; }

    /// <summary>False once unregistered (Unregister-CarpAction, Remove-Module, or the registering session closed).</summary>
    public bool IsActive => Volatile.Read(ref _active) != 0;

    /// <summary>The runspace that registered the action (null for one registered from the background runspace).</summary>
    internal Runspace? Owner { get; }

    /// <summary>Joins the service's <see cref="CarpActionFeed"/>: every action of a service sees its events in one order.</summary>
    internal void Start(ICarpService service, Action<CarpActionRegistration, CarpEventArgs> enqueue)
    {
        _source.CarpEventReceived += (_, e) =>
        {
            if (IsActive)
            {
                enqueue(this, e);
            }
        };
        _service = service;
        CarpActionFeed.Add(service, this);
    }

    /// <summary>Called by the feed on the service's event thread: filters and queues.</summary>
    internal void Offer(CarpEvent carpEvent) => _source.Deliver(carpEvent);

    /// <summary>Leaves the feed (the last one out ends the engine subscription); idempotent.</summary>
    internal void Stop()
    {
        Volatile.Write(ref _active, 0);
        if (Interlocked.Exchange(ref _service, null) is { } service)
        {
            CarpActionFeed.Remove(service, this);
        }

        _source.Dispose();
    }

    internal void Ran(string? error)
    {
        Interlocked.Exchange(ref _lastInvocationTicks, DateTimeOffset.UtcNow.UtcTicks);
        if (error is not null)
        {
            Volatile.Write(ref _lastError, error);
            Interlocked.Increment(ref _errors);
        }

        Interlocked.Increment(ref _invocations);
    }

    public override string ToString() => $"CARP action {Id}";
}
