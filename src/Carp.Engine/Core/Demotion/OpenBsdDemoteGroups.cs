namespace Carp.Engine.Core.Demotion;

/// <summary>
/// OpenBSD demote counters (docs/protocol.md#demotion-openbsd): a down carpdev or send errors add 1 to the counters of
/// the host's interface groups (or to its own when it has none); the host advertises their sum, capped at 255, in the
/// demote byte (docs/protocol.md#demote-byte) and leaves its advskew alone. A failing tracker's weight is added to
/// the demote byte of the hosts it covers, as ifstated's <c>carpdemote</c> would (docs/protocol.md#trackers).
/// </summary>
internal sealed class OpenBsdDemoteGroups(DemotionLedger ledger, VirtualHostConfig config) : HostDemotion(ledger, config)
{
    public override byte AdvertisedAdvSkew(byte advSkew) => advSkew;

    public override byte DemoteCount => (byte)Math.Clamp((long)Ledger.InterfaceDemoteCounters(Name, Groups) + CarpTrackerDemotion, 0, byte.MaxValue);

    protected override void Demote(Cause cause, int direction) => AdjustDemoteCounters(direction);
}
