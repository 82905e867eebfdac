using System.Collections.Concurrent;
using System.Diagnostics;
using Carp.Engine.Core;

namespace Carp.Lab;

/// <summary>A state change of a lab node, as the node itself reported it.</summary>
internal sealed record NodeTransition(DateTimeOffset At, string Node, string Interface, CarpState Old, CarpState New, string Reason);

/// <summary>A CARP implementation running in one namespace of the lab.</summary>
internal abstract class LabNode(string name, string @namespace) : IDisposable
{
    private readonly ConcurrentDictionary<string, CarpState> _states = new(StringComparer.Ordinal);

    public string Name => name;

    public string Namespace => @namespace;

    public abstract string Implementation { get; }

    public ConcurrentQueue<NodeTransition> Transitions { get; } = new();

    protected Process? Process { get; set; }

    public bool Running => Process is { HasExited: false };

    /// <summary>The node's (first) process id: <c>ip netns exec</c> execs the program, so it is the program's own.</summary>
    public int ProcessId => Process?.Id ?? throw new InvalidOperationException($"{Name} is not running");

    public CarpState StateOf(string carpInterface) => Running && _states.TryGetValue(carpInterface, out var s) ? s : CarpState.Init;

    /// <summary>Starts the node and returns once it runs its virtual hosts.</summary>
    public abstract void Start();

    /// <summary>SIGKILL, as a crash: no bow-out, no cleanup.</summary>
    public void Kill()
    {
        BeforeKill();
        if (Process is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit(5000);
        }

        _states.Clear();
        OnKilled();
    }

    /// <summary>Runs first in <see cref="Kill"/>: processes of the node other than <see cref="Process"/> go here.</summary>
    protected virtual void BeforeKill()
    {
    }

    protected virtual void OnKilled()
    {
    }

    protected void Report(DateTimeOffset at, string carpInterface, CarpState old, CarpState @new, string reason)
    {
        _states[carpInterface] = @new;
        Transitions.Enqueue(new NodeTransition(at, Name, carpInterface, old, @new, reason));
    }

    public virtual void Dispose() => Kill();
}
