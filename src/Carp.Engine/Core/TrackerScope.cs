namespace Carp.Engine.Core;

/// <summary>What a health tracker applies to (docs/protocol.md#trackers): one carp interface, or every interface of a group.</summary>
public enum TrackerScopeKind
{
    /// <summary>One carp interface, by name.</summary>
    Interface,
    /// <summary>Every carp interface in the interface group (carp(4) / OpenBSD group semantics).</summary>
    Group,
}

/// <summary>The carp interface or interface group a tracker demotes or faults (docs/protocol.md#trackers).</summary>
public sealed record TrackerScope(TrackerScopeKind Kind, string Name)
{
    public static TrackerScope Interface(string name) => new(TrackerScopeKind.Interface, name);

    public static TrackerScope Group(string name) => new(TrackerScopeKind.Group, name);

    /// <summary>True when the tracker applies to <paramref name="config"/>: it is the named interface, or in the named group.</summary>
    public bool AppliesTo(VirtualHostConfig config) => Kind == TrackerScopeKind.Interface
        ? string.Equals(config.Name, Name, StringComparison.Ordinal)
        : config.Groups.Contains(Name, StringComparer.Ordinal);

    public override string ToString() => Kind == TrackerScopeKind.Group ? $"group {Name}" : Name;
}

/// <summary>
/// What a failing tracker does to the virtual hosts in its scope (docs/protocol.md#trackers): a demotion (added to the
/// advertised advskew, the OpenBSD demote byte, or taken off the VRRP priority) and/or a fault (the host goes INIT). A
/// tracker that is up (or not yet known) has <see cref="None"/>.
/// </summary>
public readonly record struct TrackerEffect(int Demotion, bool Fault)
{
    public static TrackerEffect None => default;

    /// <summary>True when the tracker is failing and changes something.</summary>
    public bool Failing => Demotion > 0 || Fault;
}
