using System.Globalization;

namespace Carp.Linux;

/// <summary>Whether this process may capture, inject and change addresses (CAP_NET_RAW and CAP_NET_ADMIN).</summary>
internal static class LinuxCapabilities
{
    private const int NetAdmin = 12;
    private const int NetRaw = 13;

    public static bool CanRunCarp() => Has(NetAdmin) && Has(NetRaw);

    /// <summary>Whether this process may open a capture (CAP_NET_RAW): all a passive segment watch needs.</summary>
    public static bool CanCapture() => Has(NetRaw);

    private static bool Has(int capability)
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("CapEff:", StringComparison.Ordinal));
            if (line is null || !ulong.TryParse(line.AsSpan(7).Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var caps))
            {
                return Environment.IsPrivilegedProcess;
            }

            return (caps & (1UL << capability)) != 0;
        }
        catch (IOException)
        {
            return Environment.IsPrivilegedProcess;
        }
    }
}
