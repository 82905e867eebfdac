using Carp.Engine.Protocol;

namespace Carp.Engine.Core.Demotion;

/// <summary>
/// Classic <c>suppress_preempt</c> (docs/protocol.md#suppress-preempt): a down carpdev or send errors add 1 to the
/// node's counter; while it is above 0 and <c>preempt</c> is on, every host of this style advertises (and times with)
/// at least advskew 240.
/// </summary>
internal sealed class SuppressPreemptDemotion(DemotionLedger ledger, VirtualHostConfig config) : HostDemotion(ledger, config)
{
    public override byte AdvertisedAdvSkew(byte advSkew) =>
        Ledger.Sysctls is { SuppressPreempt: > 0, Preempt: true } ? Math.Max(advSkew, CarpConstants.MaxDemotedSkew) : advSkew;

    public override bool TimersUseAdvertisedAdvSkew => true;

    protected override void Demote(Cause cause, int direction) => Ledger.AddSuppressPreempt(direction);
}
