using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using System.Management.Automation;
using Carp.Engine.Core;

namespace CarpPS;

/// <summary>
/// The queue and the thread of the CARP actions. Engine threads only queue events (<see cref="Enqueue"/>
/// returns at once); the dispatcher thread opens the <see cref="CarpActionRunspace"/> and runs each
/// queued action there, one at a time, in event order. Neither engine threads nor a user's pipeline
/// thread ever run an action.
/// </summary>
[SuppressMessage("Design", "CA1001", Justification = "One per process; its thread and wait handle live until the module is removed.")]
internal sealed class CarpActionDispatcher
{
    /// <summary>The name of the dispatcher thread (and so of the thread every action runs on).</summary>
    public const string ThreadName = "CarpPS actions";

    private readonly BlockingCollection<(CarpActionRegistration Registration, CarpEventArgs Event)> _queue = [];
    private readonly ManualResetEventSlim _ready = new();
    private readonly string _modulePath;
    private readonly Thread _thread;
    private CarpActionRunspace? _runspace;
    private Exception? _startFailure;
    private volatile bool _stopping;

    /// <param name="modulePath">What the background runspace imports: the module as the user's session loaded it.</param>
    public CarpActionDispatcher(string modulePath)
    {
        _modulePath = modulePath;
        _thread = new Thread(Run) { IsBackground = true, Name = ThreadName };
    }

    /// <summary>The background runspace, from the moment it exists (before it opens).</summary>
    public CarpActionRunspace? Runspace => Volatile.Read(ref _runspace);

    public bool IsRunning => !_stopping && _startFailure is null;

    public void Start() => _thread.Start();

    /// <summary>Waits until the background runspace has opened and imported the module; throws if it could not.</summary>
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

    /// <summary>Drops what is queued, stops the running action and waits (up to 10 s) for the thread to close the runspace.</summary>
    public void Stop()
    {
        _stopping = true;
        _queue.CompleteAdding();
        Runspace?.Stop();
        if (Thread.CurrentThread != _thread)
        {
            _thread.Join(TimeSpan.FromSeconds(10));
        }
    }

    private void Run()
    {
        try
        {
            var runspace = new CarpActionRunspace();
            Volatile.Write(ref _runspace, runspace);
            runspace.Open(_modulePath);
        }
        catch (Exception e)
        {
            _startFailure = (e as RuntimeException)?.ErrorRecord?.Exception ?? e;
            _stopping = true;
            _queue.CompleteAdding();
            Runspace?.Dispose();
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
                    Runspace!.Invoke(registration, e);
                }
            }
        }
        finally
        {
            Runspace!.Dispose();
        }
    }
}
