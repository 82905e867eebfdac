using System.Collections;
using System.Collections.ObjectModel;
using System.Management.Automation;
using System.Management.Automation.Runspaces;

namespace CarpPS.Tests;

/// <summary>What one script produced, stream by stream. A terminating error lands in <see cref="Errors"/> too.</summary>
public sealed class RunResult
{
    public required Collection<PSObject> Output { get; init; }

    public required List<ErrorRecord> Errors { get; init; }

    public required List<WarningRecord> Warnings { get; init; }

    public required List<VerboseRecord> Verbose { get; init; }

    public required List<InformationRecord> Information { get; init; }

    /// <summary>The terminating error, if the script was stopped by one.</summary>
    public ErrorRecord? Terminating { get; init; }

    public IEnumerable<string> ErrorIds => Errors.Select(e => e.FullyQualifiedErrorId);

    /// <summary>Fails with the errors' text when the script wrote any error.</summary>
    public RunResult AssertNoErrors()
    {
        Assert.True(Errors.Count == 0, "Unexpected errors:\n" + string.Join("\n", Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));
        return this;
    }

    /// <summary>The single error the script wrote.</summary>
    public ErrorRecord SingleError()
    {
        Assert.True(Errors.Count == 1, $"Expected one error, got {Errors.Count}:\n" + string.Join("\n", Errors.Select(e => $"{e.FullyQualifiedErrorId}: {e}")));
        return Errors[0];
    }
}

/// <summary>A runspace with the laid-out module imported, on a host that records rendering and answers prompts.</summary>
public sealed class PsSession : IDisposable
{
    private static int s_devices;

    public PsSession(ModuleFixture module, bool import = true)
    {
        Module = module;
        Host = new TestHost();
        Runspace = RunspaceFactory.CreateRunspace(Host, InitialSessionState.CreateDefault2());
        Runspace.Open();
        if (import)
        {
            Run("Import-Module $args[0] -ErrorAction Stop", module.ManifestPath).AssertNoErrors();
        }
    }

    public ModuleFixture Module { get; }

    public TestHost Host { get; }

    public Runspace Runspace { get; }

    /// <summary>A carpdev name no other test uses: simulated segments are shared by name across the process.</summary>
    public static string UniqueCarpDev() => $"t{Interlocked.Increment(ref s_devices)}x{Environment.ProcessId % 1000}";

    /// <summary>Connects this runspace to a fresh simulated LAN on unique carpdevs, which it returns.</summary>
    public string[] ConnectSimulation(int devices = 1)
    {
        var names = Enumerable.Range(0, devices).Select(_ => UniqueCarpDev()).ToArray();
        Run("Connect-CarpService -Simulation -CarpDev $args[0] -ErrorAction Stop", (object)names).AssertNoErrors();
        return names;
    }

    /// <summary>Runs a script; <paramref name="args"/> are its $args. A cmdlet's terminating error only ends its statement here.</summary>
    public RunResult Run(string script, params object?[] args)
    {
        using var ps = PowerShell.Create(Runspace);
        ps.AddScript(script);
        foreach (var arg in args)
        {
            ps.AddArgument(arg);
        }

        return Invoke(ps);
    }

    /// <summary>
    /// Runs one command as a pipeline of its own with named parameters (values reach the cmdlet as they are); a
    /// terminating error stops it and is reported in <see cref="RunResult.Terminating"/>.
    /// </summary>
    public RunResult Command(string command, IDictionary? parameters = null)
    {
        using var ps = PowerShell.Create(Runspace);
        ps.AddCommand(command);
        if (parameters is not null)
        {
            ps.AddParameters(parameters);
        }

        return Invoke(ps);
    }

    private static RunResult Invoke(PowerShell ps)
    {
        Collection<PSObject> output;
        ErrorRecord? terminating = null;
        try
        {
            output = ps.Invoke();
        }
        catch (RuntimeException e)
        {
            output = [];
            terminating = e.ErrorRecord;
        }

        var errors = ps.Streams.Error.ToList();
        if (terminating is not null && !errors.Any(e => e.FullyQualifiedErrorId == terminating.FullyQualifiedErrorId))
        {
            errors.Add(terminating);
        }

        return new RunResult
        {
            Output = output,
            Errors = errors,
            Warnings = [.. ps.Streams.Warning],
            Verbose = [.. ps.Streams.Verbose],
            Information = [.. ps.Streams.Information],
            Terminating = terminating,
        };
    }

    public object? Global(string name) => Runspace.SessionStateProxy.GetVariable(name);

    public void Dispose() => Runspace.Dispose();
}
