using System.Management.Automation.Runspaces;
using System.Management.Automation;
using System.Runtime.CompilerServices;
using Carp.Control;
using Carp.Engine.Core;
using Carp.Engine.Hosting;
using Carp.Linux;

namespace CarpPS;

/// <summary>
/// The module's engines and connections, behind one lock. The in-process engine (real wire) is one
/// per process, created on first use and shared by every runspace; a connection made with
/// Connect-CarpService belongs to the runspace that made it and is closed with it.
/// </summary>
internal static class CarpSessionRegistry
{
    public const string DefaultSocketPath = CarpdProtocol.DefaultSocketPath;

    private static readonly Lock Gate = new();
    private static readonly ConditionalWeakTable<Runspace, RunspaceSessions> ByRunspace = new();
    private static CarpSession? s_local;
    private static int s_importers;
    private static int s_nextId;
    private static bool s_exitHooked;

    /// <summary>Test hook: how the in-process engine is made.</summary>
    internal static Func<ICarpService> LocalFactory { get; set; } = static () => LinuxCarpServices.CreateLocal();

    /// <summary>Test hook: how a simulated engine is made.</summary>
    internal static Func<string[], ICarpService> SimulationFactory { get; set; } = static devs => CarpServices.CreateInMemory(devs);

    /// <summary>Test hook: how a carpd client is made.</summary>
    internal static Func<string, ICarpService> CarpdFactory { get; set; } = static path => new CarpdClient(path);

    /// <summary>The session engine cmdlets use without -Session: this runspace's connection, else the in-process engine.</summary>
    public static CarpSession Current()
    {
        var runspace = Runspace.DefaultRunspace;
        if (CarpActionHost.AmbientSession(runspace) is { } ambient)
        {
            // Inside a CARP action: the connection whose event runs it. Once closed it refuses (ServiceUnreachable) rather than
            // letting the action fall back to the in-process engine on the real wire.
            return ambient;
        }

        lock (Gate)
        {
            if (Connected(runspace) is { } current)
            {
                return current;
            }

            if (s_local is null)
            {
                var service = Create(LocalFactory, "The in-process CARP engine could not start");
                s_local = new CarpSession(++s_nextId, CarpSessionKind.Local, service, null, []);
            }

            return s_local;
        }
    }

    /// <summary>The session <see cref="Current"/> would use, without starting the in-process engine (for argument completion).</summary>
    public static CarpSession? PeekCurrent()
    {
        var runspace = Runspace.DefaultRunspace;
        if (CarpActionHost.AmbientSession(runspace) is { } ambient)
        {
            // Inside a CARP action: the connection whose event runs it (completion skips it once closed).
            return ambient;
        }

        lock (Gate)
        {
            return Connected(runspace) ?? s_local;
        }
    }

    /// <summary>The open connection <paramref name="runspace"/> made current, if any (call under <see cref="Gate"/>).</summary>
    private static CarpSession? Connected(Runspace? runspace) =>
        runspace is not null && ByRunspace.TryGetValue(runspace, out var sessions) && sessions.Current is { IsOpen: true } current ? current : null;

    /// <summary>Opens a connection and makes it this runspace's current one. The previous current connection is closed unless it was handed out.</summary>
    public static CarpSession Connect(CarpSessionKind kind, string? path, IReadOnlyList<string> carpDevs)
    {
        var service = kind switch
        {
            CarpSessionKind.Simulation => Create(() => SimulationFactory([.. carpDevs]), "The simulated CARP engine could not start"),
            CarpSessionKind.Carpd => ConnectCarpd(path ?? DefaultSocketPath),
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Connect to a simulation or to carpd."),
        };

        var runspace = Runspace.DefaultRunspace;
        CarpSession? replaced = null;
        CarpSession session;
        lock (Gate)
        {
            session = new CarpSession(++s_nextId, kind, service, kind == CarpSessionKind.Carpd ? path ?? DefaultSocketPath : null,
                kind == CarpSessionKind.Simulation ? carpDevs : []);
            if (runspace is not null)
            {
                var sessions = SessionsOf(runspace);
                if (sessions.Current is { HandedOut: false } previous)
                {
                    replaced = previous;
                    sessions.Open.Remove(previous);
                }

                sessions.Current = session;
                sessions.Open.Add(session);
            }
        }

        replaced?.Close();
        return session;
    }

    /// <summary>Closes <paramref name="session"/>, or this runspace's current connection when null; returns what was closed.</summary>
    public static CarpSession? Disconnect(CarpSession? session)
    {
        var runspace = Runspace.DefaultRunspace;
        lock (Gate)
        {
            if (runspace is not null && ByRunspace.TryGetValue(runspace, out var sessions))
            {
                session ??= sessions.Current;
                if (session is not null)
                {
                    sessions.Open.Remove(session);
                    if (ReferenceEquals(sessions.Current, session))
                    {
                        sessions.Current = null;
                    }
                }
            }

            if (session is null || session.Kind == CarpSessionKind.Local)
            {
                // The in-process engine is shared by every runspace: only Remove-Module or the process exit stops it.
                return null;
            }
        }

        session.Close();
        return session;
    }

    /// <summary>Import-Module in this runspace.</summary>
    public static void OnImport()
    {
        lock (Gate)
        {
            // The background runspace of CARP actions imports the module too, but is no user session: it does not keep the engine alive.
            if (Runspace.DefaultRunspace is { } runspace && !CarpActionHost.IsActionRunspace(runspace) &&
                SessionsOf(runspace) is { Imported: false } sessions)
            {
                sessions.Imported = true;
                s_importers++;
            }

            if (!s_exitHooked)
            {
                s_exitHooked = true;
                AppDomain.CurrentDomain.ProcessExit += static (_, _) => StopLocal();
                ProcessSignals.Hook(StopLocal);
            }
        }
    }

    /// <summary>Remove-Module in this runspace: closes its connections; the last runspace to let go also stops the in-process engine.</summary>
    public static void OnRemove()
    {
        if (Runspace.DefaultRunspace is { } runspace)
        {
            Release(runspace);
        }
    }

    /// <summary>
    /// A runspace removed the module or closed: end its CARP actions and close its connections; if no runspace has the module
    /// any more, end every action and close their background runspace, then stop the in-process engine.
    /// </summary>
    private static void Release(Runspace runspace)
    {
        if (CarpActionHost.IsActionRunspace(runspace))
        {
            return;
        }

        CarpActionHost.ReleaseOwner(runspace);
        List<CarpSession> open;
        List<EventSubscription> subscriptions;
        bool last;
        lock (Gate)
        {
            if (!ByRunspace.TryGetValue(runspace, out var sessions))
            {
                return;
            }

            subscriptions = [.. sessions.Subscriptions];
            sessions.Subscriptions.Clear();
            open = [.. sessions.Open];
            sessions.Open.Clear();
            sessions.Current = null;
            if (sessions.Imported)
            {
                sessions.Imported = false;
                s_importers--;
            }

            last = s_importers <= 0;
        }

        // Register-CarpEvent subscriptions do not outlive the module: unsubscribed from the runspace's event manager when this is
        // its pipeline thread (Remove-Module), else (the runspace closed) their engine subscriptions end.
        Unsubscribe(runspace, subscriptions);

        foreach (var session in open)
        {
            session.Close();
        }

        if (last)
        {
            CarpActionHost.Shutdown();
            StopLocal();
        }
    }

    /// <summary>Register-CarpEvent created <paramref name="subscriber"/> in <paramref name="runspace"/> on <paramref name="session"/>'s events.</summary>
    public static void TrackSubscriber(Runspace runspace, PSEventSubscriber subscriber, CarpEventSource source, CarpSession session)
    {
        lock (Gate)
        {
            SessionsOf(runspace).Subscriptions.Add(new EventSubscription(runspace, subscriber, source, session));
        }
    }

    /// <summary>The subscriber was unregistered (Unregister-Event, or by the module): it is no longer tracked.</summary>
    public static void UntrackSubscriber(PSEventSubscriber subscriber)
    {
        lock (Gate)
        {
            foreach (var (_, sessions) in ByRunspace)
            {
                sessions.Subscriptions.RemoveAll(s => ReferenceEquals(s.Subscriber, subscriber));
            }
        }
    }

    /// <summary>
    /// <paramref name="session"/> is closing: the CARP actions bound to it stop (IsActive turns False) and the Register-CarpEvent
    /// subscriptions on its events end.
    /// </summary>
    internal static void OnSessionClosing(CarpSession session)
    {
        CarpActionHost.ReleaseSession(session);
        var bound = new List<EventSubscription>();
        lock (Gate)
        {
            foreach (var (_, sessions) in ByRunspace)
            {
                bound.AddRange(sessions.Subscriptions.Where(s => ReferenceEquals(s.Session, session)));
                sessions.Subscriptions.RemoveAll(s => ReferenceEquals(s.Session, session));
            }
        }

        foreach (var group in bound.GroupBy(s => s.Runspace))
        {
            Unsubscribe(group.Key, [.. group]);
        }
    }

    /// <summary>
    /// Ends <paramref name="subscriptions"/>: on the runspace's own pipeline thread through its event manager (which disposes the
    /// engine-side source through the Unsubscribed handler); elsewhere the engine-side source is disposed directly.
    /// </summary>
    private static void Unsubscribe(Runspace runspace, List<EventSubscription> subscriptions)
    {
        var onPipelineThread = ReferenceEquals(Runspace.DefaultRunspace, runspace) && runspace.RunspaceStateInfo.State == RunspaceState.Opened;
        foreach (var subscription in subscriptions)
        {
            if (onPipelineThread)
            {
                try
                {
                    runspace.Events.UnsubscribeEvent(subscription.Subscriber);
                }
                catch (Exception)
                {
                    // Already unsubscribed, or the event manager is going away: the source is disposed below.
                }
            }

            subscription.Source.Dispose();
        }
    }

    private static void StopLocal()
    {
        CarpSession? local;
        lock (Gate)
        {
            local = s_local;
            s_local = null;
        }

        local?.Close();
    }

    private static RunspaceSessions SessionsOf(Runspace runspace)
    {
        if (!ByRunspace.TryGetValue(runspace, out var sessions))
        {
            sessions = new RunspaceSessions();
            ByRunspace.Add(runspace, sessions);
            runspace.StateChanged += static (sender, e) =>
            {
                if (sender is Runspace closing && e.RunspaceStateInfo.State is RunspaceState.Closed or RunspaceState.Broken)
                {
                    Release(closing);
                }
            };
        }

        return sessions;
    }

    private static ICarpService ConnectCarpd(string path)
    {
        if (!File.Exists(path))
        {
            throw CarpErrors.Refusal(CarpErrorCode.ServiceUnreachable, $"carpd's control socket '{path}' does not exist.",
                "Start carpd (systemctl start carpd) or pass the -Path of its socket; to try CARP without root use Connect-CarpService -Simulation.");
        }

        var client = Create(() => CarpdFactory(path), $"Could not connect to carpd at '{path}'", CarpErrorCode.ServiceUnreachable);
        try
        {
            // A cheap request proves the socket answers (and that we may talk to it) before the session is used.
            if (client is CarpdClient carpd)
            {
                carpd.Ping();
            }
            else
            {
                _ = client.GetSysctls();
            }

            return client;
        }
        catch (Exception e)
        {
            client.Dispose();
            throw e as CarpException ?? new CarpException(CarpErrorCode.ServiceUnreachable, $"carpd at '{path}' did not answer: {e.Message}", e);
        }
    }

    private static ICarpService Create(Func<ICarpService> factory, string failure, CarpErrorCode code = CarpErrorCode.ServiceError)
    {
        try
        {
            return factory();
        }
        catch (CarpException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw CarpErrors.Refusal(code, $"{failure}: {e.Message}", "See the inner exception ($Error[0].Exception.InnerException) and report it if it persists.", e);
        }
    }

    private sealed class RunspaceSessions
    {
        public CarpSession? Current { get; set; }

        /// <summary>The module is imported in this runspace.</summary>
        public bool Imported { get; set; }

        public List<CarpSession> Open { get; } = [];

        /// <summary>The Register-CarpEvent subscribers created in this runspace.</summary>
        public List<EventSubscription> Subscriptions { get; } = [];
    }

    private sealed record EventSubscription(Runspace Runspace, PSEventSubscriber Subscriber, CarpEventSource Source, CarpSession Session);
}
