using System.Globalization;
using System.Text;
using Carp.Testbed;

namespace Carp.Lab.Scale;

/// <summary>A carpd configuration of many vhids, one virtual address each (documentation ranges only).</summary>
internal static class ScaleConfig
{
    /// <summary>One virtual host of a scale configuration.</summary>
    internal sealed record Vhost(string Name, int Vhid, string CarpDev, string Address, int Prefix);

    /// <summary>
    /// <paramref name="perDevice"/> vhids on each of 4 carpdevs: eth0–eth2 carry IPv4 /32s from 192.0.2.0/24, 198.51.100.0/24
    /// and 203.0.113.0/24 (.1 upwards); there is no fourth IPv4 documentation /24, so eth3 carries IPv6 /128s from 2001:db8:3::/64.
    /// </summary>
    public static IReadOnlyList<Vhost> FourDevices(int perDevice)
    {
        string[] prefixes = ["192.0.2.", "198.51.100.", "203.0.113.", "2001:db8:3::"];
        var hosts = new List<Vhost>();
        for (var d = 0; d < prefixes.Length; d++)
        {
            for (var v = 1; v <= perDevice; v++)
            {
                var v6 = prefixes[d].Contains(':', StringComparison.Ordinal);
                var address = prefixes[d] + (v6 ? v.ToString("x", CultureInfo.InvariantCulture) : v.ToString(CultureInfo.InvariantCulture));
                hosts.Add(new Vhost(Name(hosts.Count + 1), v, "eth" + d.ToString(CultureInfo.InvariantCulture), address, v6 ? 128 : 32));
            }
        }

        return hosts;
    }

    /// <summary>Vhids 1..<paramref name="count"/> on eth0, vhid N with 198.51.100.N/32 (and vhid 255 with 203.0.113.1/32).</summary>
    public static IReadOnlyList<Vhost> OneDevice(int count) =>
        [.. Enumerable.Range(1, count).Select(v => new Vhost(Name(v), v, "eth0", v <= 254 ? $"198.51.100.{v}" : $"203.0.113.{v - 254}", 32))];

    /// <summary>The carpd configuration file, 0600.</summary>
    public static string Write(string path, IReadOnlyList<Vhost> hosts, byte advSkew, string macMode)
    {
        var text = new StringBuilder("# carp-lab --scale\n");
        foreach (var h in hosts)
        {
            text.Append(CultureInfo.InvariantCulture,
                $"{h.Name} vhid {h.Vhid} carpdev {h.CarpDev} pass scalepass advbase 1 advskew {advSkew} macmode {macMode} {h.Address}/{h.Prefix}\n");
        }

        return SecretFile.Write(path, text.ToString());
    }

    private static string Name(int n) => "carp" + n.ToString(CultureInfo.InvariantCulture);
}
