namespace Carp.Engine.Core;

/// <summary>The 16 counters of <c>struct carpstats</c>, in the kernels' order (docs/protocol.md#carpstats).</summary>
public enum CarpStatistic
{
    IPackets,
    IPackets6,
    BadIf,
    BadTtl,
    HdrOps,
    BadSum,
    BadVer,
    BadLen,
    BadAuth,
    BadVhid,
    BadAddrs,
    OPackets,
    OPackets6,
    ONoMem,
    OStates,
    Preempt,
}
