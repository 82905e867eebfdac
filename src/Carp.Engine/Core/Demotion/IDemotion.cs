namespace Carp.Engine.Core.Demotion;

/// <summary>
/// What a virtual host sees of its demotion (docs/protocol.md#preemption): it reports each send
/// (docs/protocol.md#send-errors) and reads what to advertise. It never learns how the node's counters got there.
/// </summary>
internal interface IDemotion
{
    /// <summary>The advskew the host puts in its adverts and compares with, given its configured <paramref name="advSkew"/>.</summary>
    byte AdvertisedAdvSkew(byte advSkew);

    /// <summary>The value of the demote byte (header byte 4) the host advertises; 0 outside the OpenBSD style.</summary>
    byte DemoteCount { get; }

    /// <summary>True when the host's timers run on its advertised advskew instead of its configured one (Classic).</summary>
    bool TimersUseAdvertisedAdvSkew { get; }

    /// <summary>The sum of the demotions of the failing trackers that cover the host (docs/protocol.md#trackers).</summary>
    int TrackerDemotion { get; }

    /// <summary>One advert put on the carpdev (<paramref name="sent"/>) or not.</summary>
    void CountSend(bool sent);
}
