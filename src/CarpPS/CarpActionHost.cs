using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Management.Automation.Runspaces;
using System.Management.Automation;
using Carp.Engine.Core;
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

    internal void Start(ICarpService service, Action<CarpActionRegistration, CarpEventArgs> enqueue)
    {
        _source.CarpEventReceived += (_, e) =>
        {
            if (IsActive)
            {
                enqueue(this, e);
            }
        };
        _source.Start(service);
    }

    /// <summary>Ends the engine subscription; idempotent.</summary>
    internal void Stop()
    {
        Volatile.Write(ref _active, 0);
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

/// <summary>
/// The process's CARP actions and the one background runspace that runs them. Engine threads only
/// queue events (a BlockingCollection); a dedicated dispatcher thread opens the runspace (lazily, with
/// CarpPS imported from the path this assembly was loaded from) and runs each action there, one at a
/// time, in event order. Neither engine threads nor a user's pipeline thread ever run an action.
/// </summary>
internal static class CarpActionHost
{
    /// <summary>The name of the dispatcher thread (and so of the thread every action runs on).</summary>
    public const string ThreadName = "CarpPS actions";

    private static readonly Lock Gate = new();
    private static readonly List<CarpActionRegistration> Registrations = [];
    private static Dispatcher? s_dispatcher;
    private static int s_nextId;

    /// <summary>True for the background runspace of the actions (it imports CarpPS, but is no user session).</summary>
    public static bool IsActionRunspace(Runspace? runspace) =>
        runspace is not null && Volatile.Read(ref s_dispatcher) is { } d && ReferenceEquals(d.Runspace, runspace);

    /// <summary>The session of the action that is running, for cmdlets the action calls without -Session.</summary>
    public static CarpSession? AmbientSession(Runspace? runspace) =>
        Volatile.Read(ref s_dispatcher) is { } d && runspace is not null && ReferenceEquals(d.Runspace, runspace) ? d.Current : null;

    /// <summary>Starts the background runspace if needed and subscribes a new action to <paramref name="session"/>'s events.</summary>
    public static CarpActionRegistration Register(IReadOnlyList<string>? name, IReadOnlyList<CarpEventType>? eventType, string script,
        CarpSession session, Runspace? owner)
    {
        Dispatcher dispatcher;
        lock (Gate)
        {
            if (s_dispatcher is null || !s_dispatcher.IsRunning)
            {
                s_dispatcher = new Dispatcher(ModulePath());
                s_dispatcher.Start();
            }

            dispatcher = s_dispatcher;
        }

        // The runspace opens on the dispatcher thread; a failure to open or to import CarpPS is reported here.
        dispatcher.WaitReady();

        var service = session.Service;
        CarpActionRegistration registration;
        lock (Gate)
        {
            registration = new CarpActionRegistration(++s_nextId, name, eventType, script, session, IsActionRunspace(owner) ? null : owner);
            Registrations.Add(registration);
        }

        try
        {
            registration.Start(service, dispatcher.Enqueue);
        }
        catch
        {
            Unregister(registration);
            throw;
        }

        return registration;
    }

    /// <summary>The registrations <paramref name="runspace"/> may see: its own, or all of them from the background runspace.</summary>
    public static List<CarpActionRegistration> Visible(Runspace? runspace)
    {
        var all = IsActionRunspace(runspace);
        lock (Gate)
        {
            return [.. Registrations.Where(r => all || r.Owner is null || ReferenceEquals(r.Owner, runspace))];
        }
    }

    public static void Unregister(CarpActionRegistration registration)
    {
        lock (Gate)
        {
            Registrations.Remove(registration);
        }

        registration.Stop();
    }

    /// <summary>A user runspace removed the module or closed: its actions end.</summary>
    public static void ReleaseOwner(Runspace runspace)
    {
        List<CarpActionRegistration> owned;
        lock (Gate)
        {
            owned = [.. Registrations.Where(r => ReferenceEquals(r.Owner, runspace))];
            Registrations.RemoveAll(owned.Contains);
        }

        foreach (var registration in owned)
        {
            registration.Stop();
        }
    }

    /// <summary>
    /// <paramref name="session"/> closed: the actions bound to it stop (IsActive turns False) but stay listed until
    /// Unregister-CarpAction, so Get-CarpAction shows why they no longer run.
    /// </summary>
    public static void ReleaseSession(CarpSession session)
    {
        List<CarpActionRegistration> bound;
        lock (Gate)
        {
            bound = [.. Registrations.Where(r => ReferenceEquals(r.Session, session))];
        }

        foreach (var registration in bound)
        {
            registration.Stop();
        }
    }

    /// <summary>No user runspace has the module any more: end every action and close the background runspace.</summary>
    public static void Shutdown()
    {
        List<CarpActionRegistration> all;
        Dispatcher? dispatcher;
        lock (Gate)
        {
            all = [.. Registrations];
            Registrations.Clear();
            dispatcher = s_dispatcher;
            s_dispatcher = null;
        }

        foreach (var registration in all)
        {
            registration.Stop();
        }

        dispatcher?.Stop();
    }

    /// <summary>The module as the user's session loaded it: the manifest next to this assembly, else the assembly itself.</summary>
    private static string ModulePath()
    {
        var assembly = typeof(CarpActionHost).Assembly.Location;
        var manifest = Path.Combine(Path.GetDirectoryName(assembly) ?? ".", "CarpPS.psd1");
        return File.Exists(manifest) ? manifest : assembly;
    }

    [SuppressMessage("Design", "CA1001", Justification = "One per process; its thread and wait handle live until the module is removed.")]
    private sealed class Dispatcher
    {
        private readonly BlockingCollection<(CarpActionRegistration Registration, CarpEventArgs Event)> _queue = [];
        private readonly ManualResetEventSlim _ready = new();
        private readonly string _modulePath;
        private readonly Thread _thread;
        private Exception? _startFailure;
        private PowerShell? _running;
        private volatile bool _stopping;

        public Dispatcher(string modulePath)
        {
            _modulePath = modulePath;
            _thread = new Thread(Run) { IsBackground = true, Name = ThreadName };
        }

        public void Start() => _thread.Start();

        public Runspace? Runspace { get; private set; }

        /// <summary>The session of the action being run.</summary>
        public CarpSession? Current { get; private set; }

        public bool IsRunning => !_stopping && _startFailure is null;

        public void WaitReady()
        {
            if (Thread.CurrentThread == _thread)
            {
                return; // An action registering another action: the runspace is open, it is running this very action.
            }

            if (!_ready.Wait(TimeSpan.FromSeconds(60)))
            {
                throw CarpErrors.Refusal(CarpErrorCode.ServiceError, "The background runspace for CARP actions did not start within 60 seconds.",
                    "Run Register-CarpAction again; if it keeps failing, report it.");
            }

            if (_startFailure is { } failure)
            {
                throw CarpErrors.Refusal(CarpErrorCode.ServiceError, $"The background runspace for CARP actions could not start: {failure.Message}",
                    $"Check that the module at '{_modulePath}' imports in a new session (Import-Module).", failure);
            }
        }

        /// <summary>Called on engine threads: queues and returns at once.</summary>
        public void Enqueue(CarpActionRegistration registration, CarpEventArgs e)
        {
            try
            {
                _queue.TryAdd((registration, e));
            }
            catch (InvalidOperationException)
            {
                // Stopped (CompleteAdding): the event is dropped.
            }
        }

        public void Stop()
        {
            _stopping = true;
            _queue.CompleteAdding();
            try
            {
                Volatile.Read(ref _running)?.Stop();
            }
            catch (Exception)
            {
                // The action ended meanwhile.
            }

            if (Thread.CurrentThread != _thread)
            {
                _thread.Join(TimeSpan.FromSeconds(10));
            }
        }

        private void Run()
        {
            try
            {
                var runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
                runspace.ThreadOptions = PSThreadOptions.UseCurrentThread;
                Runspace = runspace;
                runspace.Open();
                using var import = PowerShell.Create();
                import.Runspace = runspace;
                import.AddCommand("Import-Module").AddParameter("Name", _modulePath).AddParameter("ErrorAction", ActionPreference.Stop);
                import.Invoke();

                // No host here: ShouldContinue would throw HostException, so an action never asks (as with -Confirm:$false / -Force).
                runspace.SessionStateProxy.SetVariable("ConfirmPreference", ConfirmImpact.None);
            }
            catch (Exception e)
            {
                _startFailure = (e as RuntimeException)?.ErrorRecord?.Exception ?? e;
                _stopping = true;
                _queue.CompleteAdding();
                CloseRunspace();
                _ready.Set();
                return;
            }

            _ready.Set();
            try
            {
                foreach (var (registration, e) in _queue.GetConsumingEnumerable())
                {
                    if (_stopping)
                    {
                        break;
                    }

                    if (registration.IsActive)
                    {
                        Invoke(registration, e);
                    }
                }
            }
            finally
            {
                CloseRunspace();
            }
        }

        private void Invoke(CarpActionRegistration registration, CarpEventArgs e)
        {
            string? error = null;
            var ps = PowerShell.Create();
            try
            {
                ps.Runspace = Runspace;
                Current = registration.Session;
                Runspace!.SessionStateProxy.SetVariable("CarpEvent", e);
                ps.AddScript(registration.ScriptBlock, useLocalScope: true).AddArgument(e);
                Volatile.Write(ref _running, ps);
                if (_stopping)
                {
                    return;
                }

                ps.Invoke();
                if (ps.Streams.Error.Count > 0)
                {
                    error = ps.Streams.Error[^1].ToString();
                }
            }
            catch (RuntimeException failure)
            {
                error = failure.ErrorRecord?.ToString() ?? failure.Message;
            }
            catch (Exception failure)
            {
                error = failure.Message;
            }
            finally
            {
                Volatile.Write(ref _running, null);
                Current = null;
                ps.Dispose();
            }

            registration.Ran(error);
        }

        private void CloseRunspace()
        {
            try
            {
                Runspace?.Dispose();
            }
            catch (Exception)
            {
                // Closing is best effort.
            }
        }
    }
}
