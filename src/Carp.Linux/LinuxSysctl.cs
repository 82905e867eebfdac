using System.Globalization;

namespace Carp.Linux;

/// <summary>
/// Reads and writes kernel parameters under /proc/sys. Keys use the sysctl(8) dotted form
/// ("net.ipv4.conf.all.arp_ignore") or a slash form ("net/ipv4/conf/eth0.100/arp_ignore") when a
/// component itself contains dots. /proc/sys/net follows the network namespace of the calling thread.
/// </summary>
public static class LinuxSysctl
{
    public const string Root = "/proc/sys";

    /// <summary>The file behind <paramref name="key"/>.</summary>
    public static string PathOf(string key)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        string relative = key.Contains('/', StringComparison.Ordinal) ? key.Trim('/') : key.Replace('.', '/');
        if (relative.Split('/').Any(part => part is "" or "." or ".."))
        {
            throw new ArgumentException($"Invalid sysctl key '{key}'.", nameof(key));
        }

        return Root + "/" + relative;
    }

    /// <summary>The value, without the trailing newline.</summary>
    public static string Read(string key) => File.ReadAllText(PathOf(key)).TrimEnd('\n');

    /// <summary>The value as an integer.</summary>
    public static int ReadInt32(string key) => int.Parse(Read(key), NumberStyles.Integer, CultureInfo.InvariantCulture);

    public static void Write(string key, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        File.WriteAllText(PathOf(key), value + "\n");
    }

    public static void Write(string key, int value) => Write(key, value.ToString(CultureInfo.InvariantCulture));

    /// <summary>Writes <paramref name="value"/> only if the current value differs. Returns true if it wrote.</summary>
    public static bool Ensure(string key, int value)
    {
        if (ReadInt32(key) == value)
        {
            return false;
        }

        Write(key, value);
        return true;
    }

    /// <summary>Raises the value to <paramref name="minimum"/> if it is lower. Returns true if it wrote.</summary>
    public static bool EnsureAtLeast(string key, int minimum)
    {
        if (ReadInt32(key) >= minimum)
        {
            return false;
        }

        Write(key, minimum);
        return true;
    }

    /// <summary>
    /// Raises net.ipv4.conf.{all,<paramref name="ifname"/>}.arp_ignore to at least 1 so that only the interface that
    /// owns an address answers ARP for it: a VIP on a macvlan then answers with the virtual MAC, and
    /// the lower device stays silent (no ARP flux). The effective value is the maximum of "all" and
    /// the interface's. Returns true if anything changed.
    /// </summary>
    public static bool EnsureArpIgnore(string ifname)
    {
        ArgumentException.ThrowIfNullOrEmpty(ifname);
        if (ifname.Contains('/', StringComparison.Ordinal))
        {
            throw new ArgumentException($"Invalid interface name '{ifname}'.", nameof(ifname));
        }

        bool changed = EnsureAtLeast("net/ipv4/conf/all/arp_ignore", 1);
        changed |= EnsureAtLeast($"net/ipv4/conf/{ifname}/arp_ignore", 1);
        return changed;
    }
}
