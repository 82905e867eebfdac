using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carpd.Configuration;

/// <summary>
/// What a reload must do to bring the running configuration to what the file says: the interfaces to
/// create, to change (with an <see cref="InterfaceChange"/> holding only what differs), to destroy, the
/// ones to leave alone, and the sysctls to set. Passes are compared as key bytes and never shown.
/// </summary>
internal sealed class ConfigurationDiff
{
    private static readonly InterfaceChange Nothing = new();

    public IReadOnlyList<VirtualHostConfig> Added { get; private init; } = [];

    public IReadOnlyList<InterfaceUpdate> Changed { get; private init; } = [];

    public IReadOnlyList<string> Removed { get; private init; } = [];

    public IReadOnlyList<string> Unchanged { get; private init; } = [];

    /// <summary>The writable sysctls whose value in the file differs from the running configuration, with the file's value.</summary>
    public IReadOnlyList<(SysctlDescriptor Descriptor, long Value)> Sysctls { get; private init; } = [];

    /// <param name="running">The configuration carpd runs (as last loaded, saved or reloaded).</param>
    /// <param name="engineInterfaces">The names of the interfaces the engine runs now.</param>
    /// <param name="file">The configuration file as it is now.</param>
    public static ConfigurationDiff Between(CarpdConfiguration running, IReadOnlyCollection<string> engineInterfaces, CarpdConfiguration file)
    {
        var engine = engineInterfaces.ToHashSet(StringComparer.Ordinal);
        var added = new List<VirtualHostConfig>();
        var changed = new List<InterfaceUpdate>();
        var unchanged = new List<string>();
        foreach (var wanted in file.Interfaces)
        {
            if (!engine.Contains(wanted.Name))
            {
                // New, or configured before but not running (its carpdev was missing): start it now.
                added.Add(wanted);
            }
            else if (running.Find(wanted.Name) is not { } current)
            {
                // Running but of unknown configuration: only re-creating it makes it what the file says.
                changed.Add(new InterfaceUpdate(wanted, null));
            }
            else if (ChangeBetween(current, wanted) is not { } change)
            {
                unchanged.Add(wanted.Name);
            }
            else
            {
                changed.Add(new InterfaceUpdate(wanted, NeedsRecreation(current, wanted) ? null : change));
            }
        }

        string[] removed = [.. running.Interfaces.Select(i => i.Name).Concat(engineInterfaces).Distinct(StringComparer.Ordinal)
            .Where(name => file.Find(name) is null)];
        var sysctls = SysctlCatalog.All
            .Where(d => !d.ReadOnly && SysctlCatalog.Get(running.Sysctls, d) != SysctlCatalog.Get(file.Sysctls, d))
            .Select(d => (d, SysctlCatalog.Get(file.Sysctls, d)))
            .ToList();
        return new ConfigurationDiff { Added = added, Changed = changed, Removed = removed, Unchanged = unchanged, Sysctls = sysctls };
    }

    /// <summary>The change from <paramref name="current"/> to <paramref name="wanted"/> with only what differs set; null when nothing an <see cref="InterfaceChange"/> carries differs.</summary>
    public static InterfaceChange? ChangeBetween(VirtualHostConfig current, VirtualHostConfig wanted)
    {
        var change = new InterfaceChange
        {
            Vhid = current.Vhid == wanted.Vhid ? null : wanted.Vhid,
            AdvBase = current.AdvBase == wanted.AdvBase ? null : wanted.AdvBase,
            AdvSkew = current.AdvSkew == wanted.AdvSkew ? null : wanted.AdvSkew,
            Key = current.Key.Equals(wanted.Key) ? null : wanted.Key,
            Addresses = current.Addresses.SequenceEqual(wanted.Addresses) ? null : wanted.Addresses,
            CarpDev = string.Equals(current.CarpDev, wanted.CarpDev, StringComparison.Ordinal) ? null : wanted.CarpDev,
            MacMode = current.MacMode == wanted.MacMode ? null : wanted.MacMode,
            Profile = current.Profile == wanted.Profile ? null : wanted.Profile.Name,
            Groups = current.Groups.SequenceEqual(wanted.Groups, StringComparer.Ordinal) ? null : wanted.Groups,
            Maintenance = current.Maintenance == wanted.Maintenance ? null : wanted.Maintenance,
            // A peer changes in place, as ifconfig's peer / mcast do; a peer gone from the file is mcast.
            Peer = Equals(current.Peer, wanted.Peer) ? null : wanted.Peer,
            Peer6 = Equals(current.Peer6, wanted.Peer6) ? null : wanted.Peer6,
            Mcast = current.Peer is not null && wanted.Peer is null,
            Mcast6 = current.Peer6 is not null && wanted.Peer6 is null,
            Priority = current.Priority == wanted.Priority || !wanted.IsVrrp ? null : wanted.Priority,
            Interval = current.Interval == wanted.Interval || !wanted.IsVrrp ? null : wanted.Interval,
            Preempt = current.Preempt == wanted.Preempt || !wanted.IsVrrp ? null : wanted.Preempt,
            Accept = current.Accept == wanted.Accept || !wanted.IsVrrp ? null : wanted.Accept,
            VrrpChecksum = current.VrrpChecksum == wanted.VrrpChecksum || !wanted.IsVrrp ? null : wanted.VrrpChecksum,
            AnnounceCount = current.AnnounceCount == wanted.AnnounceCount ? null : wanted.AnnounceCount,
            AnnounceSpacingMs = current.AnnounceSpacingMs == wanted.AnnounceSpacingMs ? null : wanted.AnnounceSpacingMs,
            AnnounceRefreshSeconds = current.AnnounceRefreshSeconds == wanted.AnnounceRefreshSeconds ? null : wanted.AnnounceRefreshSeconds,
        };
        return change == Nothing && !NeedsRecreation(current, wanted) ? null : change;
    }

    /// <summary>
    /// A new protocol (carpver) takes destroying and creating the interface: it is fixed for an interface's life
    /// (docs/protocol.md#vrrp). Peers change in place (an <see cref="InterfaceChange"/>).
    /// </summary>
    public static bool NeedsRecreation(VirtualHostConfig current, VirtualHostConfig wanted) => current.Protocol != wanted.Protocol;
}

/// <summary>An interface to bring to <paramref name="Wanted"/>: in place with <paramref name="Change"/>, or by re-creating it when that is null.</summary>
internal sealed record InterfaceUpdate(VirtualHostConfig Wanted, InterfaceChange? Change);
