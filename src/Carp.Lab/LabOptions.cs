using System.Globalization;

namespace Carp.Lab;

/// <summary>
/// Command line of the lab: <c>carp-lab [--simulate] [--vrrp [--interval 100ms]] [--peer ours|ucarp|keepalived] [--advbase N] [--advskew N] [--ipv6] [--runs N] [--fresh N]</c>,
/// or <c>carp-lab --scale [load|switch] [--vhids N]</c>.
/// </summary>
internal sealed record LabOptions
{
    public bool Simulate { get; init; }

    /// <summary>Implementation of node 2 (the backup): "ours" (carpd), "ucarp", or "keepalived" (VRRPv3 on both nodes).</summary>
    public string Peer { get; init; } = "ours";

    public byte AdvBase { get; init; } = 1;

    /// <summary>advskew of node 1 (node 2 always has 128, as in the seed).</summary>
    public byte AdvSkew { get; init; }

    public bool IPv6 { get; init; }

    /// <summary>VRRPv3 instead of CARP on our nodes (docs/protocol.md#vrrp): n1 priority 200, n2 priority 100.</summary>
    public bool Vrrp { get; init; }

    /// <summary>The VRRP advertisement interval in centiseconds (--interval 100ms; default 1 s), also keepalived's advert_int.</summary>
    public ushort? Interval { get; init; }

    /// <summary>Repeat the kill/takeover measurement this many times and report median and p99.</summary>
    public int Runs { get; init; } = 1;

    public bool KeepGoing { get; init; }

    /// <summary>Every run with freshly started processes on both nodes, so each takeover is the taking-over process's first.</summary>
    public bool Fresh { get; init; }

    /// <summary>The scale bench instead of the failover lab: "all", "load" (1000 masters) or "switch" (the mass switch).</summary>
    public string? ScalePart { get; init; }

    /// <summary>Vhids of the mass switch (255 by default).</summary>
    public int ScaleSwitchVhids { get; init; } = 255;

    public static LabOptions Parse(string[] args)
    {
        var options = new LabOptions();
        for (var i = 0; i < args.Length; i++)
        {
            string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            options = args[i] switch
            {
                "--simulate" => options with { Simulate = true },
                "--peer" => options with { Peer = Next() is "ours" or "ucarp" or "keepalived" ? args[i] : throw new ArgumentException("--peer is ours, ucarp or keepalived") },
                "--fresh" => options with { Fresh = true, Runs = int.Parse(Next(), CultureInfo.InvariantCulture) },
                "--scale" => options with { ScalePart = i + 1 < args.Length && args[i + 1] is "load" or "switch" ? args[++i] : "all" },
                "--vhids" => options with { ScaleSwitchVhids = int.Parse(Next(), CultureInfo.InvariantCulture) is var n and >= 1 and <= 255 ? n : throw new ArgumentException("--vhids is 1..255") },
                "--advbase" => options with { AdvBase = byte.Parse(Next(), CultureInfo.InvariantCulture) },
                "--advskew" => options with { AdvSkew = byte.Parse(Next(), CultureInfo.InvariantCulture) },
                "--ipv6" => options with { IPv6 = true },
                "--vrrp" => options with { Vrrp = true },
                "--interval" => options with { Interval = ParseInterval(Next()) },
                "--runs" => options with { Runs = int.Parse(Next(), CultureInfo.InvariantCulture) },
                _ => throw new ArgumentException($"unknown option {args[i]}; use --simulate, --vrrp, --interval 100ms, --peer ours|ucarp|keepalived, --advbase N, --advskew N, --ipv6, --runs N, --fresh N, --scale [load|switch], --vhids N"),
            };
        }

        if (options.AdvBase == 0 || options.AdvSkew >= 128)
        {
            throw new ArgumentException("--advbase must be 1..255 and --advskew below node 2's 128");
        }

        if (options.Vrrp && (options.Peer == "ucarp" || options.IPv6))
        {
            throw new ArgumentException("--vrrp runs carpd on n1 and carpd or keepalived (--peer keepalived) on n2, IPv4 only");
        }

        if (options.Interval is not null && !options.Vrrp && options.Peer != "keepalived")
        {
            throw new ArgumentException("--interval is VRRP's: use it with --vrrp or --peer keepalived (CARP's interval is --advbase)");
        }

        return options;
    }

    /// <summary>The VRRP interval in centiseconds from "100ms", "0.1s" or "1s".</summary>
    private static ushort ParseInterval(string text)
    {
        var ms = text.EndsWith("ms", StringComparison.Ordinal) ? double.Parse(text[..^2], CultureInfo.InvariantCulture)
            : text.EndsWith('s') ? double.Parse(text[..^1], CultureInfo.InvariantCulture) * 1000
            : throw new ArgumentException("--interval takes a duration such as 100ms or 1s");
        return ms is >= 10 and <= 40950 && ms % 10 == 0
            ? (ushort)(ms / 10)
            : throw new ArgumentException("--interval is 10ms to 40950ms in whole centiseconds");
    }
}
