using System.Net;
using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>Something a subscriber may want to react to. Carries no secret.</summary>
public abstract record CarpEvent
{
    public required DateTimeOffset Timestamp { get; init; }
    public required string Interface { get; init; }
    public required byte Vhid { get; init; }
}

/// <summary>A virtual host changed state.</summary>
public sealed record CarpStateChangedEvent : CarpEvent
{
    public required CarpState OldState { get; init; }
    public required CarpState NewState { get; init; }
    public required TransitionReason Reason { get; init; }
    /// <summary>The node whose advert caused the change, if one did.</summary>
    public IPAddress? Peer { get; init; }

    public override string ToString() => $"{Interface} vhid {Vhid}: {OldState} -> {NewState} ({Reason})";
}

/// <summary>The advertised skew or demote count of a virtual host changed.</summary>
public sealed record CarpDemotionChangedEvent : CarpEvent
{
    public required byte OldAdvSkew { get; init; }
    public required byte NewAdvSkew { get; init; }
    public required byte OldDemotion { get; init; }
    public required byte NewDemotion { get; init; }
}

/// <summary>A packet was dropped by a receive check (raised only when <c>log</c> is 2 or more).</summary>
public sealed record CarpBadPacketEvent : CarpEvent
{
    public required CarpStatistic Counter { get; init; }
    public required string Detail { get; init; }
    public IPAddress? Source { get; init; }
}

/// <summary>Maintenance mode of a virtual host was switched on (suspended) or off (resumed).</summary>
public sealed record CarpMaintenanceChangedEvent : CarpEvent
{
    public required bool Maintenance { get; init; }

    public override string ToString() => $"{Interface} vhid {Vhid}: maintenance {(Maintenance ? "on" : "off")}";
}
