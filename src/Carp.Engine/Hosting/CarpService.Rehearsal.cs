using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>
/// The takeover rehearsal run through the service's own output (<see cref="TakeoverRehearsal"/>, BENCHMARKS.md#first-takeover):
/// while it runs, the rehearsal's port stands in the port table, and the outputs that would reach beyond the process —
/// addresses, log lines, events — stop at <see cref="_rehearsing"/>.
/// </summary>
public sealed partial class CarpService
{
    private bool _rehearsing;

    /// <summary>On the loop thread, before any virtual host exists.</summary>
    private bool RehearseTakeovers()
    {
        var port = new TakeoverRehearsal.Port();
        _ports.Add(port.Name, port);
        _rehearsing = true;
        try
        {
            TakeoverRehearsal.Run(this, node =>
            {
                // The service's pass bookkeeping (RunTimers) around the private node's pass, without the wire's address batch.
                BeginPass();
                try
                {
                    node.RunDueTimers();
                }
                finally
                {
                    EndPass();
                }
            });
        }
        finally
        {
            _rehearsing = false;
            _ports.Remove(port.Name);
            _batch.Forget(port);
            _frames.Retain(_node.VirtualHosts);
            _announcements.Retain(_node.VirtualHosts);
            _sendFailures.Forget("rehearsal");
            _noticesAfterPass.Clear();
        }

        return true;
    }
}
