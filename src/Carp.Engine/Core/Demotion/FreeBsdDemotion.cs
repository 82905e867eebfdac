using Carp.Engine.Protocol;

namespace Carp.Engine.Core.Demotion;

/// <summary>
/// FreeBSD demotion, of the FreeBSD and ucarp profiles (docs/protocol.md#demotion-freebsd): a down carpdev adds
/// <c>ifdown_demotion_factor</c> and send errors add <c>senderr_demotion_factor</c> to the node's <c>demotion</c>
/// counter, which every host of this style adds to its advskew, clamped to 0..240; a failing tracker's
/// weight is added the same way, to the hosts it covers (docs/protocol.md#trackers). Timers keep the configured advskew.
/// </summary>
internal sealed class FreeBsdDemotion(DemotionLedger ledger, VirtualHostConfig config) : HostDemotion(ledger, config)
{
    public override byte AdvertisedAdvSkew(byte advSkew) =>
        (byte)Math.Clamp((long)advSkew + Ledger.Sysctls.Demotion + CarpTrackerDemotion, 0, CarpConstants.MaxDemotedSkew);

    protected override void Demote(Cause cause, int direction)
    {
        var sysctls = Ledger.Sysctls;
        var factor = cause == Cause.CarpDevDown ? sysctls.IfDownDemotionFactor : sysctls.SendErrDemotionFactor;
        Ledger.AddDemotion(direction * factor);
    }
}
