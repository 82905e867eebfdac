using System.Globalization;

namespace Carp.Testbed;

/// <summary>A client's view of who answers for an address: iputils arping from inside a namespace.</summary>
public static class Arping
{
    /// <summary>
    /// The MAC of every ARP reply that <paramref name="requests"/> requests (one a second) from <paramref name="ns"/> got. Without
    /// -w, iputils arping prints every reply (with -w it would stop at <paramref name="requests"/> replies, hiding a second answerer).
    /// </summary>
    public static string[] Replies(TestNetwork net, string ns, string address, int requests, string device = "eth0") =>
        net.Exec(ns, TimeSpan.FromSeconds(requests + 5), "arping", "-c", requests.ToString(CultureInfo.InvariantCulture), "-I", device, address)
            .StandardOutput.Split('\n')
            .Where(l => l.Contains("reply from", StringComparison.OrdinalIgnoreCase))
            .Select(l => l[(l.IndexOf('[', StringComparison.Ordinal) + 1)..l.IndexOf(']', StringComparison.Ordinal)].ToUpperInvariant())
            .ToArray();
}
