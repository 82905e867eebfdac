using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace CarpPS;

/// <summary>
/// The one runspace CARP actions run in: no host (so an action never asks), CarpPS imported from the path
/// the user's session loaded it from, and one action at a time, re-created from its script text with
/// <c>$CarpEvent</c> set. It belongs to the dispatcher thread (UseCurrentThread); only <see cref="Stop"/>
/// is called from other threads.
/// </summary>
internal sealed class CarpActionRunspace : IDisposable
{
    private PowerShell? _running;
    private volatile bool _stopping;

    public CarpActionRunspace()
    {
        Runspace = RunspaceFactory.CreateRunspace(InitialSessionState.CreateDefault2());
        Runspace.ThreadOptions = PSThreadOptions.UseCurrentThread;
    }

    /// <summary>The runspace; known before it opens, so the module's import inside it can tell it is no user session.</summary>
    public Runspace Runspace { get; }

    /// <summary>The session of the action being run.</summary>
    public CarpSession? Current { get; private set; }

    /// <summary>Opens the runspace on this thread and imports the module; throws what failed.</summary>
    public void Open(string modulePath)
    {
        Runspace.Open();
        using var import = PowerShell.Create();
        import.Runspace = Runspace;
        import.AddCommand("Import-Module").AddParameter("Name", modulePath).AddParameter("ErrorAction", ActionPreference.Stop);
        import.Invoke();

        // No host here: ShouldContinue would throw HostException, so an action never asks (as with -Confirm:$false / -Force).
        Runspace.SessionStateProxy.SetVariable("ConfirmPreference", ConfirmImpact.None);
    }

    /// <summary>Runs <paramref name="registration"/>'s action for <paramref name="e"/> and records the run (and its last error) on it.</summary>
    public void Invoke(CarpActionRegistration registration, CarpEventArgs e)
    {
        string? error = null;
        var ps = PowerShell.Create();
        try
        {
            ps.Runspace = Runspace;
            Current = registration.Session;
            Runspace.SessionStateProxy.SetVariable("CarpEvent", e);
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

    /// <summary>From any thread: stops the action that is running, and no other starts.</summary>
    public void Stop()
    {
        _stopping = true;
        try
        {
            Volatile.Read(ref _running)?.Stop();
        }
        catch (Exception)
        {
            // The action ended meanwhile.
        }
    }

    public void Dispose()
    {
        try
        {
            Runspace.Dispose();
        }
        catch (Exception)
        {
            // Closing is best effort.
        }
    }
}
