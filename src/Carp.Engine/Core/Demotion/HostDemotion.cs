namespace Carp.Engine.Core.Demotion;

/// <summary>
/// The demotion of one virtual host, owned by its node (docs/protocol.md#preemption). The node tells it what happened
/// (the carpdev's link, an administrator's <c>carpdemote</c>, the host's removal) and the host reports its sends; the
/// style subclass turns that into moves of the node's <see cref="DemotionLedger"/> and into what the host advertises.
/// One subclass per <see cref="DemotionStyle"/>.
/// </summary>
internal abstract class HostDemotion : IDemotion
{
    private readonly SendErrorStreak _sendErrors = new();
    private readonly bool _vrrp;
    private bool _carpDevDown;

    protected HostDemotion(DemotionLedger ledger, VirtualHostConfig config)
    {
        Ledger = ledger;
        Name = config.Name;
        Groups = config.Groups;
        _vrrp = config.IsVrrp;
    }

    /// <summary>Why a host is demoted: each cause is applied once and withdrawn once.</summary>
    protected enum Cause
    {
        CarpDevDown,
        SendErrors,
    }

    protected DemotionLedger Ledger { get; }

    /// <summary>The carp interface's name: its own OpenBSD demote counter is kept under it.</summary>
    protected string Name { get; }

    /// <summary>The interface groups whose OpenBSD demote counters the host moves and advertises.</summary>
    protected IReadOnlyList<string> Groups { get; }

    /// <summary>The owner for <paramref name="config"/>'s style. Style and groups are fixed for its life: a change rebuilds the host.</summary>
    public static HostDemotion For(VirtualHostConfig config, DemotionLedger ledger) => config.Profile.Demotion switch
    {
        DemotionStyle.SuppressPreempt => new SuppressPreemptDemotion(ledger, config),
        DemotionStyle.OpenBsd => new OpenBsdDemoteGroups(ledger, config),
        _ => new FreeBsdDemotion(ledger, config),
    };

    public abstract byte AdvertisedAdvSkew(byte advSkew);

    public virtual byte DemoteCount => 0;

    public virtual bool TimersUseAdvertisedAdvSkew => false;

    /// <summary>Set by the node from the failing trackers that cover the host (docs/protocol.md#trackers); each style adds it its own way.</summary>
    public int TrackerDemotion { get; set; }

    /// <summary>The tracker demotion CARP's advskew or demote byte carries: none for VRRP, whose priority carries it instead.</summary>
    protected int CarpTrackerDemotion => _vrrp ? 0 : TrackerDemotion;

    public void CountSend(bool sent)
    {
        if (_sendErrors.Count(sent) is var direction and not 0)
        {
            Demote(Cause.SendErrors, direction);
        }
    }

    /// <summary>The carpdev lost (or regained) its link or UP: demotes until it returns (docs/protocol.md#preemption).</summary>
    public void SetCarpDevDown(bool down)
    {
        if (down != _carpDevDown)
        {
            _carpDevDown = down;
            Demote(Cause.CarpDevDown, down ? +1 : -1);
        }
    }

    /// <summary>
    /// OpenBSD <c>carpdemote n</c> (docs/protocol.md#demotion-openbsd) on the interface's groups, or on its own counter
    /// when it has none. Whatever the host's style: its groups' counters are shared with the OpenBSD-style hosts in them.
    /// </summary>
    public void AdjustDemoteCounters(int delta) => Ledger.AdjustInterfaceDemoteCounters(Name, Groups, delta);

    /// <summary>The host leaves: its outstanding demotions are withdrawn under the rules that made them.</summary>
    public void Release()
    {
        SetCarpDevDown(false);
        if (_sendErrors.Demoted)
        {
            Demote(Cause.SendErrors, -1);
        }

        Ledger.ForgetInterface(Name);
    }

    /// <summary>Applies (+1) or withdraws (−1) one demotion for <paramref name="cause"/>.</summary>
    protected abstract void Demote(Cause cause, int direction);
}
