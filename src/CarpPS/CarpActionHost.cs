using System.Management.Automation.Runspaces;
using Carp.Engine.Hosting;

namespace CarpPS;

/// <summary>
/// The process's CARP actions: which are registered, which runspace owns each, and when they end (the
/// owner removes the module or closes, their session closes, or the last user runspace lets the module
/// go). The one <see cref="CarpActionDispatcher"/> that runs them starts with the first registration.
/// </summary>
internal static class CarpActionHost
{
    private static readonly Lock Gate = new();
    private static readonly List<CarpActionRegistration> Registrations = [];
    private static CarpActionDispatcher? s_dispatcher;
    private static int s_nextId;

    /// <summary>True for the background runspace of the actions (it imports CarpPS, but is no user session).</summary>
    public static bool IsActionRunspace(Runspace? runspace) => ActionRunspace(runspace) is not null;

    /// <summary>The session of the action that is running, for cmdlets the action calls without -Session.</summary>
    public static CarpSession? AmbientSession(Runspace? runspace) => ActionRunspace(runspace)?.Current;

    /// <summary>Starts the background runspace if needed and subscribes a new action to <paramref name="session"/>'s events.</summary>
    public static CarpActionRegistration Register(IReadOnlyList<string>? name, IReadOnlyList<CarpEventType>? eventType, string script,
        CarpSession session, Runspace? owner)
    {
        CarpActionDispatcher dispatcher;
        lock (Gate)
        {
            if (s_dispatcher is null || !s_dispatcher.IsRunning)
            {
                s_dispatcher = new CarpActionDispatcher(ModulePath());
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
        CarpActionDispatcher? dispatcher;
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

    /// <summary>The background runspace of the actions, if <paramref name="runspace"/> is it.</summary>
    private static CarpActionRunspace? ActionRunspace(Runspace? runspace) =>
        runspace is not null && Volatile.Read(ref s_dispatcher)?.Runspace is { } actions && ReferenceEquals(actions.Runspace, runspace) ? actions : null;

    /// <summary>The module as the user's session loaded it: the manifest next to this assembly, else the assembly itself.</summary>
    private static string ModulePath()
    {
        var assembly = typeof(CarpActionHost).Assembly.Location;
        var manifest = Path.Combine(Path.GetDirectoryName(assembly) ?? ".", "CarpPS.psd1");
        return File.Exists(manifest) ? manifest : assembly;
    }
}
