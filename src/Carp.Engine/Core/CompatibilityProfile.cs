namespace Carp.Engine.Core;

/// <summary>How the master-down interval is derived from advbase and advskew (docs/protocol.md#states-and-timers).</summary>
public enum MasterDownFormula
{
    /// <summary>FreeBSD, NetBSD, OpenBSD ≤ 2007, ucarp: 3 × advbase + advskew/256.</summary>
    ThreeAdvBasePlusSkew,
    /// <summary>Current OpenBSD: 3 × (advbase + advskew/256).</summary>
    ThreeIntervals,
}

/// <summary>What happens to the advertised priority when a carpdev fails or sends fail (docs/protocol.md#preemption).</summary>
public enum DemotionStyle
{
    /// <summary>FreeBSD ≥ 10: global <c>demotion</c> added to advskew, clamped 0..240; ifdown/senderr factors.</summary>
    FreeBsd,
    /// <summary>FreeBSD 7–9 and the original man page: <c>suppress_preempt</c>; with preempt on, advskew 240 on all vhids while any carpdev is down.</summary>
    SuppressPreempt,
    /// <summary>OpenBSD: per-group demote counters carried in the demote byte and compared by peers.</summary>
    OpenBsd,
}

/// <summary>Which implementation a virtual host behaves like where they differ.</summary>
public sealed record CompatibilityProfile
{
    public required string Name { get; init; }

    public MasterDownFormula MasterDown { get; init; } = MasterDownFormula.ThreeAdvBasePlusSkew;

    /// <summary>OpenBSD: compare the demote byte (takeover on remote demote &gt; local; yield on remote &lt; local).</summary>
    public bool HonourDemoteByte { get; init; }

    public DemotionStyle Demotion { get; init; } = DemotionStyle.FreeBsd;

    /// <summary>ucarp: masters with equal intervals keep the one whose source IPv4, read as a little-endian integer, is lower (x86 ucarp).</summary>
    public bool EqualIntervalTieBreakByAddress { get; init; }

    /// <summary>
    /// Sign with the vhid's link-local IPv6 addresses in the HMAC, as FreeBSD and NetBSD do with every address
    /// attached to the vhid; OpenBSD signs without them (HMAC_NOV6LL). Both variants are accepted on receive (docs/protocol.md#hmac-input).
    /// </summary>
    public bool SignsLinkLocalAddresses { get; init; } = true;

    /// <summary>OpenBSD: adverts to a unicast peer must still arrive with TTL 255 (FreeBSD lets them be routed).</summary>
    public bool RequireTtlForUnicast { get; init; }

    /// <summary>Send a last advert with advbase 255/advskew 255 when a MASTER is removed or taken down.</summary>
    public bool BowOut { get; init; } = true;

    /// <summary>FreeBSD/ucarp timing, demote byte ignored, FreeBSD demotion: interoperates with every peer.</summary>
    public static CompatibilityProfile FreeBsd { get; } = new() { Name = "FreeBSD" };

    /// <summary>Current OpenBSD: 3 × interval master-down, demote byte compared, group demote counters.</summary>
    public static CompatibilityProfile OpenBsd { get; } = new()
    {
        Name = "OpenBSD",
        MasterDown = MasterDownFormula.ThreeIntervals,
        HonourDemoteByte = true,
        Demotion = DemotionStyle.OpenBsd,
        RequireTtlForUnicast = true,
        SignsLinkLocalAddresses = false,
    };

    /// <summary>The original carp(4) man page: suppress_preempt on carpdev failure.</summary>
    public static CompatibilityProfile Classic { get; } = new() { Name = "Classic", Demotion = DemotionStyle.SuppressPreempt };

    /// <summary>ucarp: FreeBSD timing plus the equal-interval address tie-break, no bow-out.</summary>
    public static CompatibilityProfile Ucarp { get; } = new() { Name = "ucarp", EqualIntervalTieBreakByAddress = true, BowOut = false };

    public static IReadOnlyList<CompatibilityProfile> All { get; } = [FreeBsd, OpenBsd, Classic, Ucarp];

    /// <summary>The profile names in the order users see them, e.g. "FreeBSD, OpenBSD, Classic or ucarp".</summary>
    public static string NameList { get; } = string.Join(", ", All.Take(All.Count - 1).Select(p => p.Name)) + " or " + All[^1].Name;

    public static CompatibilityProfile? Find(string name) =>
        All.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}
