using Carp.Engine.Core.Demotion;

namespace Carp.Engine.Core;

/// <summary>
/// The node's side of demotion (docs/protocol.md#preemption): it owns the counters (<see cref="DemotionLedger"/>) and
/// one demotion owner per virtual host (<see cref="HostDemotion"/>), tells the owners what happened, and once an input
/// is handled lets every host read what it now advertises. Data flows one way: node → owner → host.
/// </summary>
public sealed partial class CarpNode
{
    private readonly DemotionLedger _ledger;
    private readonly Dictionary<VirtualHost, HostDemotion> _demotions = new();

    /// <summary>OpenBSD <c>carpdemote n</c> on the interface's groups (or on the interface itself when it has none).</summary>
    public void AdjustDemote(string name, int delta)
    {
        var host = Find(name) ?? throw CarpRefusals.NoSuchInterface(name);
        _demotions[host].AdjustDemoteCounters(delta);
        AdvertiseDemotionChanges();
    }

    /// <summary>OpenBSD <c>ifconfig -g group carpdemote n</c>.</summary>
    public void AdjustGroupDemote(string group, int delta)
    {
        _ledger.AdjustGroupDemoteCounter(group, delta);
        AdvertiseDemotionChanges();
    }

    /// <summary>
    /// After a change of the counters every host reads what it advertises, and a MASTER whose advertised advskew or
    /// demote count changed advertises at once; its sends may move the counters again.
    /// </summary>
    private void AdvertiseDemotionChanges()
    {
        while (_ledger.TakeChange())
        {
            foreach (var host in _hosts.Values)
            {
                host.ApplyDemotion(announceChange: true);
            }
        }
    }
}
