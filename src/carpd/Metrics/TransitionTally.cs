using System.Collections.Concurrent;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Metrics;

/// <summary>
/// State changes of every virtual host counted by reason, from the engine's events: what
/// <c>carp_vhost_transitions_total{reason}</c> and <c>getState</c>'s <c>transitionsByReason</c> report
/// (the engine's status has only the total and the last reason). carpd subscribes it before it starts any
/// interface, whether or not metrics are served: one dictionary update per state change.
/// Thread-safe: the engine's event thread counts, scrapes and control requests read.
/// </summary>
internal sealed class TransitionTally : IDisposable
{
    private readonly ConcurrentDictionary<(string Interface, byte Vhid, TransitionReason Reason), long> _counts = new();
    private readonly IDisposable? _subscription;

    public TransitionTally()
    {
    }

    public TransitionTally(ICarpService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _subscription = service.Subscribe(Count);
    }

    /// <summary>Counts one state change (the handler of the engine's events; never blocks).</summary>
    public void Count(CarpEvent carpEvent)
    {
        if (carpEvent is CarpStateChangedEvent changed)
        {
            _counts.AddOrUpdate((changed.Interface, changed.Vhid, changed.Reason), 1, static (_, n) => n + 1);
        }
    }

    /// <summary>The counts of one interface (as named, with that vhid), by reason; reasons never seen are absent.</summary>
    public IReadOnlyDictionary<TransitionReason, long> Of(string name, byte vhid)
    {
        var result = new SortedDictionary<TransitionReason, long>();
        foreach (var ((interfaceName, id, reason), count) in _counts)
        {
            if (id == vhid && string.Equals(interfaceName, name, StringComparison.Ordinal))
            {
                result[reason] = count;
            }
        }

        return result;
    }

    public void Dispose() => _subscription?.Dispose();
}
