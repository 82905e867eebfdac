using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>One <c>net.inet.carp.*</c> knob: its short and full names, range and meaning.</summary>
public sealed record SysctlDescriptor(string Name, long Minimum, long Maximum, long DefaultValue, bool ReadOnly, string Description)
{
    public string FullName => "net.inet.carp." + Name;
}

/// <summary>Names, ranges and read/write rules of the CARP sysctls; the only place that maps names to fields.</summary>
public static class SysctlCatalog
{
    private const int MaxSkew = CarpConstants.MaxDemotedSkew;

    private static readonly CarpSysctls Defaults = CarpSysctls.Default;

    public static IReadOnlyList<SysctlDescriptor> All { get; } =
    [
        new("allow", 0, 1, 1, false, "Accept incoming CARP packets; 0 also holds every virtual host in INIT."),
        new("preempt", 0, 1, 0, false, "A BACKUP takes over from a master that advertises less frequently."),
        new("log", 0, 7, Defaults.Log, false, "0 silent, 1 state changes, 2 and above also bad packets."),
        new("arpbalance", 0, 1, 0, false, "ARP load balancing: vhids sharing an address answer ARP by the requester's address (FreeBSD 7-9)."),
        new("suppress_preempt", 0, int.MaxValue, 0, true, "Read-only: vhids suppressing preemption because a carpdev is down or sends fail."),
        new("demotion", -MaxSkew, MaxSkew, 0, false,
            $"Added to every advskew (clamped 0..{MaxSkew}). Writing adds the value (a step of -{MaxSkew}..{MaxSkew}), as on FreeBSD."),
        new("ifdown_demotion_factor", 0, MaxSkew, Defaults.IfDownDemotionFactor, false, "Demotion added while a carpdev is down."),
        new("senderr_demotion_factor", 0, MaxSkew, Defaults.SendErrDemotionFactor, false, "Demotion added after 3 consecutive send errors."),
        new("dscp", 0, 63, Defaults.Dscp, false, "DSCP of sent advertisements (4 = TOS 0x10)."),
    ];

    /// <summary>Finds a knob by short or full name (<c>preempt</c> or <c>net.inet.carp.preempt</c>), case-insensitive.</summary>
    public static SysctlDescriptor? Find(string name)
    {
        var shortName = name.StartsWith("net.inet.carp.", StringComparison.OrdinalIgnoreCase) ? name["net.inet.carp.".Length..] : name;
        return All.FirstOrDefault(d => string.Equals(d.Name, shortName, StringComparison.OrdinalIgnoreCase));
    }

    public static long Get(CarpSysctls sysctls, SysctlDescriptor descriptor) => descriptor.Name switch
    {
        "allow" => sysctls.Allow ? 1 : 0,
        "preempt" => sysctls.Preempt ? 1 : 0,
        "log" => sysctls.Log,
        "arpbalance" => sysctls.ArpBalance ? 1 : 0,
        "suppress_preempt" => sysctls.SuppressPreempt,
        "demotion" => sysctls.Demotion,
        "ifdown_demotion_factor" => sysctls.IfDownDemotionFactor,
        "senderr_demotion_factor" => sysctls.SendErrDemotionFactor,
        "dscp" => sysctls.Dscp,
        _ => throw new ArgumentOutOfRangeException(nameof(descriptor), descriptor.Name, "Unknown sysctl."),
    };

    /// <summary>
    /// The settings after <c>sysctl name=value</c>. Refuses unknown names, read-only knobs and
    /// out-of-range values with a <see cref="CarpException"/>, leaving <paramref name="sysctls"/> unchanged.
    /// </summary>
    public static CarpSysctls Apply(CarpSysctls sysctls, string name, long value)
    {
        var descriptor = Find(name) ?? throw new CarpException(CarpErrorCode.UnknownSysctl,
            $"There is no CARP sysctl named '{name}'; the CARP sysctls are {string.Join(", ", All.Select(d => d.Name))}.");
        if (descriptor.ReadOnly)
        {
            throw new CarpException(CarpErrorCode.ReadOnlySysctl, $"{descriptor.FullName} is read-only: it counts carpdevs that are down and vhids with send errors.");
        }

        if (value < descriptor.Minimum || value > descriptor.Maximum)
        {
            throw new CarpException(CarpErrorCode.InvalidSysctlValue,
                $"{descriptor.FullName} must be from {descriptor.Minimum} to {descriptor.Maximum}; {value} is out of range.");
        }

        if (descriptor.Name == "demotion")
        {
            // FreeBSD: writing the demotion sysctl adds the written value to the current one.
            value = sysctls.Demotion + value;
        }

        return With(sysctls, descriptor, value);
    }

    /// <summary>
    /// The settings with one knob set to exactly <paramref name="value"/>, read-only ones included and no
    /// range check: for restoring values read from a running engine, never for a user's write.
    /// </summary>
    public static CarpSysctls With(CarpSysctls sysctls, SysctlDescriptor descriptor, long value)
    {
        var v = (int)Math.Clamp(value, int.MinValue, int.MaxValue);
        return descriptor.Name switch
        {
            "allow" => sysctls with { Allow = v != 0 },
            "preempt" => sysctls with { Preempt = v != 0 },
            "log" => sysctls with { Log = v },
            "arpbalance" => sysctls with { ArpBalance = v != 0 },
            "suppress_preempt" => sysctls with { SuppressPreempt = v },
            "demotion" => sysctls with { Demotion = v },
            "ifdown_demotion_factor" => sysctls with { IfDownDemotionFactor = v },
            "senderr_demotion_factor" => sysctls with { SendErrDemotionFactor = v },
            "dscp" => sysctls with { Dscp = v },
            _ => throw new ArgumentOutOfRangeException(nameof(descriptor), descriptor.Name, "Unknown sysctl."),
        };
    }
}
