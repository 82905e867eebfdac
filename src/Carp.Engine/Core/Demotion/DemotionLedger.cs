namespace Carp.Engine.Core.Demotion;

/// <summary>
/// The demotion counters of one node, shared by all its virtual hosts (docs/protocol.md#preemption): the FreeBSD
/// <c>demotion</c> counter (docs/protocol.md#demotion-freebsd), the Classic <c>suppress_preempt</c> counter
/// (docs/protocol.md#suppress-preempt) and the OpenBSD demote counters of interface groups and of interfaces without a
/// group (docs/protocol.md#demotion-openbsd). The first two are sysctls, and <c>preempt</c> and the demotion factors
/// steer demotion, so the node's one copy of its sysctls lives here too. Only the demotion owners
/// (<see cref="HostDemotion"/>) and the node write to it; virtual hosts never see it.
/// </summary>
internal sealed class DemotionLedger
{
    private readonly Dictionary<string, int> _groupDemoteCounters = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _interfaceDemoteCounters = new(StringComparer.Ordinal);
    private bool _changed;

    public DemotionLedger(CarpSysctls sysctls) => Sysctls = sysctls;

    /// <summary>The node's sysctls, with the current <c>demotion</c> and <c>suppress_preempt</c> counters.</summary>
    public CarpSysctls Sysctls { get; private set; }

    /// <summary>An administrator's sysctl write: a new <c>demotion</c> or <c>preempt</c> may change what hosts advertise.</summary>
    public void Replace(CarpSysctls sysctls)
    {
        _changed |= sysctls.Demotion != Sysctls.Demotion || sysctls.Preempt != Sysctls.Preempt;
        Sysctls = sysctls;
    }

    /// <summary>Moves the FreeBSD <c>demotion</c> counter; the sum is not bounded, only its effect (docs/protocol.md#demotion-freebsd).</summary>
    public void AddDemotion(int delta)
    {
        Sysctls = Sysctls with { Demotion = Sysctls.Demotion + delta };
        _changed = true;
    }

    /// <summary>Moves the Classic <c>suppress_preempt</c> counter, which never goes below 0.</summary>
    public void AddSuppressPreempt(int delta)
    {
        Sysctls = Sysctls with { SuppressPreempt = Math.Max(0, Sysctls.SuppressPreempt + delta) };
        _changed = true;
    }

    /// <summary>OpenBSD <c>ifconfig -g group carpdemote n</c>: one group's counter, never below 0.</summary>
    public void AdjustGroupDemoteCounter(string group, int delta)
    {
        _groupDemoteCounters[group] = Math.Max(0, _groupDemoteCounters.GetValueOrDefault(group) + delta);
        _changed = true;
    }

    /// <summary>
    /// Adjusts the OpenBSD counters of one carp interface: those of its groups, or its own counter when it belongs to
    /// no group (docs/protocol.md#demotion-openbsd).
    /// </summary>
    public void AdjustInterfaceDemoteCounters(string name, IReadOnlyList<string> groups, int delta)
    {
        if (groups.Count == 0)
        {
            _interfaceDemoteCounters[name] = Math.Max(0, _interfaceDemoteCounters.GetValueOrDefault(name) + delta);
            _changed = true;
            return;
        }

        foreach (var group in groups)
        {
            AdjustGroupDemoteCounter(group, delta);
        }
    }

    /// <summary>The sum of the OpenBSD counters of one carp interface (its groups', or its own), uncapped.</summary>
    public int InterfaceDemoteCounters(string name, IReadOnlyList<string> groups) => groups.Count == 0
        ? _interfaceDemoteCounters.GetValueOrDefault(name)
        : groups.Sum(g => _groupDemoteCounters.GetValueOrDefault(g));

    /// <summary>An interface's own counter goes with the interface; group counters stay.</summary>
    public void ForgetInterface(string name) => _interfaceDemoteCounters.Remove(name);

    /// <summary>True once after anything changed that may move what a host advertises.</summary>
    public bool TakeChange()
    {
        var changed = _changed;
        _changed = false;
        return changed;
    }
}
