namespace Carp.Engine.Core.Demotion;

/// <summary>
/// OpenBSD demote counters (docs/protocol.md#demotion-openbsd): a down carpdev or send errors add 1 to the counters of
/// the host's interface groups (or to its own when it has none); the host advertises their sum, capped at 255, in the
/// demote byte (docs/protocol.md#demote-byte) and leaves its advskew alone.
/// </summary>
internal sealed class OpenBsdDemoteGroups(DemotionLedger ledger, VirtualHostConfig config) : HostDemotion(ledger, config)
{
    public override byte AdvertisedAdvSkew(byte advSkew) => advSkew;

    public override byte DemoteCount => (byte)Math.Clamp(Ledger.InterfaceDemoteCounters(Name, Groups), 0, byte.MaxValue);

    protected override void Demote(Cause cause, int direction) => AdjustDemoteCounters(direction);
}
