using Carp.Engine.Protocol;

namespace Carp.Engine.Core.Demotion;

/// <summary>
/// Classic <c>suppress_preempt</c> (docs/protocol.md#suppress-preempt): a down carpdev or send errors add 1 to the
/// node's counter; while it is above 0 and <c>preempt</c> is on, every host of this style advertises (and times with)
/// at least advskew 240.
/// </summary>
internal sealed class SuppressPreemptDemotion(DemotionLedger ledger, VirtualHostConfig config) : HostDemotion(ledger, config)
{
    public override byte AdvertisedAdvSkew(byte advSkew)
    {
        var suppressed = Ledger.Sysctls is { SuppressPreempt: > 0, Preempt: true } ? Math.Max(advSkew, CarpConstants.MaxDemotedSkew) : advSkew;
        // A failing tracker's weight adds to the advskew up to 240 (docs/protocol.md#trackers); it never lowers it.
        return CarpTrackerDemotion == 0 ? suppressed : (byte)Math.Max(suppressed, Math.Min((long)suppressed + CarpTrackerDemotion, CarpConstants.MaxDemotedSkew));
    }

    public override bool TimersUseAdvertisedAdvSkew => true;

    protected override void Demote(Cause cause, int direction) => Ledger.AddSuppressPreempt(direction);
}
