namespace Carp.Engine.Core;

/// <summary>
/// Health trackers (docs/protocol.md#trackers): a pure input per tracker says what its failure does now; the node sums
/// the demotions and faults of the trackers whose scope covers each virtual host and hands the total to the host. The
/// probes themselves (commands, files, links) run outside the core and only post their verdicts here.
/// </summary>
public sealed partial class CarpNode
{
    private readonly Dictionary<string, (TrackerScope Scope, TrackerEffect Effect)> _trackers = new(StringComparer.Ordinal);

    /// <summary>
    /// Sets what tracker <paramref name="name"/> does to the hosts of <paramref name="scope"/>: <see cref="TrackerEffect.None"/>
    /// while it is up, a demotion and/or a fault while it fails. A MASTER whose advertised value changes advertises at
    /// once; a fault sends a host to INIT (<see cref="TransitionReason.TrackerFault"/>) until no tracker faults it.
    /// </summary>
    public void SetTrackerState(string name, TrackerScope scope, TrackerEffect effect)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentOutOfRangeException.ThrowIfNegative(effect.Demotion);
        _trackers[name] = (scope, effect);
        ApplyTrackers();
    }

    /// <summary>The tracker is gone: whatever it did is undone.</summary>
    public void RemoveTracker(string name)
    {
        if (_trackers.Remove(name))
        {
            ApplyTrackers();
        }
    }

    /// <summary>The names of the trackers whose scope covers <paramref name="host"/>, failing or not, in name order.</summary>
    public IReadOnlyList<string> TrackersOf(VirtualHost host) =>
        [.. _trackers.Where(t => t.Value.Scope.AppliesTo(host.Config)).Select(t => t.Key).Order(StringComparer.Ordinal)];

    /// <summary>Every host reads the sum of its trackers' effects; then masters advertise what changed.</summary>
    private void ApplyTrackers()
    {
        foreach (var host in _hosts.Values.ToArray())
        {
            ApplyTrackers(host);
        }

        AdvertiseDemotionChanges();
    }

    /// <summary>One host's tracker demotion and fault, from the trackers that cover it now.</summary>
    private void ApplyTrackers(VirtualHost host)
    {
        var demotion = 0;
        var fault = false;
        foreach (var (scope, effect) in _trackers.Values)
        {
            if (effect.Failing && scope.AppliesTo(host.Config))
            {
                demotion = (int)Math.Min((long)demotion + effect.Demotion, int.MaxValue);
                fault |= effect.Fault;
            }
        }

        _demotions[host].TrackerDemotion = demotion;
        host.ApplyDemotion(announceChange: true);
        host.SetTrackerFault(fault);
    }
}
