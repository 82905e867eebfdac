using System.Collections.Concurrent;
using System.Management.Automation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace CarpPS.Commands;

/// <summary>
/// Waits until carp interfaces reach a state and returns their status. Engine events are marshalled
/// to the pipeline thread through a BlockingCollection; the status is also re-read every second, so a
/// lost event only delays the answer. Ctrl+C stops the wait.
/// </summary>
[Cmdlet(VerbsLifecycle.Wait, "CarpState", HelpUri = CarpHelpUri.Base + "Wait-CarpState.md")]
[OutputType(typeof(CarpStatus))]
public sealed class WaitCarpStateCommand : CarpCmdlet, IDisposable
{
    private static readonly TimeSpan Recheck = TimeSpan.FromSeconds(1);
    private readonly CancellationTokenSource _stop = new();
    private DateTime _deadline = DateTime.MaxValue;

    [Parameter(Mandatory = true, Position = 0, ValueFromPipeline = true, ValueFromPipelineByPropertyName = true)]
    [ValidateNotNullOrEmpty]
    [SupportsWildcards]
    [ArgumentCompleter(typeof(CarpInterfaceNameCompleter))]
    public string[] Name { get; set; } = [];

    [Parameter(Mandatory = true, Position = 1)]
    public CarpState State { get; set; }

    /// <summary>Seconds to wait in all; without it the wait lasts until the state is reached or Ctrl+C.</summary>
    [Parameter]
    [ValidateRange(0, int.MaxValue)]
    public int Timeout { get; set; } = -1;

    protected override void BeginProcessing()
    {
        if (Timeout >= 0)
        {
            _deadline = DateTime.UtcNow.AddSeconds(Timeout);
        }
    }

    protected override void ProcessRecord()
    {
        // Wildcards are expanded once, to the interfaces that exist now; a literal name that matches nothing is an error.
        foreach (var name in SelectInterfaces(Name).Select(s => s.Name).ToList())
        {
            if (!WaitFor(name))
            {
                return;
            }
        }
    }

    protected override void StopProcessing() => _stop.Cancel();

    public void Dispose() => _stop.Dispose();

    /// <summary>Waits for one interface; false when the command was stopped.</summary>
    private bool WaitFor(string name)
    {
        var service = Service;
        using var changes = new BlockingCollection<CarpStateChangedEvent>();
        IDisposable? subscription = null;
        if (!TryRun(name, () => subscription = service.Subscribe(e =>
            {
                // Runs on an engine thread: hand the event over, never block, never throw.
                if (e is CarpStateChangedEvent changed && string.Equals(changed.Interface, name, StringComparison.Ordinal))
                {
                    try
                    {
                        changes.TryAdd(changed);
                    }
                    catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
                    {
                        // The wait is over.
                    }
                }
            })))
        {
            return true;
        }

        try
        {
            while (true)
            {
                // Read the status after subscribing, so a change in between is not missed.
                var current = FindInterface(name);
                if (current is null)
                {
                    return true;
                }

                if (current.State == State)
                {
                    WriteObject(new CarpStatus(current));
                    return true;
                }

                var remaining = _deadline - DateTime.UtcNow;
                if (remaining <= TimeSpan.Zero)
                {
                    WriteError(CarpErrors.Custom(new TimeoutException($"{name} did not reach {State} within {Timeout} s; it is {current.State}."),
                        CarpErrors.WaitTimeout, ErrorCategory.OperationTimeout,
                        $"Wait longer (-Timeout), or look at Get-CarpStatus {name} and Get-CarpStatistics for why it stays {current.State}.", name));
                    return true;
                }

                try
                {
                    if (changes.TryTake(out var change, (int)Math.Ceiling((remaining < Recheck ? remaining : Recheck).TotalMilliseconds), _stop.Token))
                    {
                        WriteDebug($"{change}");
                    }
                }
                catch (OperationCanceledException)
                {
                    return false;
                }
            }
        }
        finally
        {
            subscription?.Dispose();
            changes.CompleteAdding();
        }
    }
}
