using Carp.Engine.Core;

namespace Carp.Engine.Simulation;

public enum SimulationEventKind
{
    StateChanged,
    Advertisement,
    Announce,
    DemotionChanged,
    BadPacket,
    MaintenanceChanged,
}

/// <summary>One line of a simulation's timeline.</summary>
public sealed record SimulationEvent(
    TimeSpan At,
    string Host,
    string Interface,
    byte Vhid,
    SimulationEventKind Kind,
    CarpState OldState,
    CarpState NewState,
    TransitionReason? Reason,
    string? Detail)
{
    public override string ToString() => Kind switch
    {
        SimulationEventKind.StateChanged => $"{At.TotalSeconds,10:F6}s  {Host,-8} {Interface} vhid {Vhid}: {OldState} -> {NewState} ({Reason})",
        _ => $"{At.TotalSeconds,10:F6}s  {Host,-8} {Interface} vhid {Vhid}: {Kind} {Detail}",
    };
}
