using System.Management.Automation;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace CarpPS.Commands;

/// <summary>
/// The module's checks of virtual addresses beyond their syntax, before anything changes: an address without a prefix (a
/// warning naming the prefix used), an address another vhid already carries (refused unless net.inet.carp.arpbalance is 1,
/// as BSD's ARP balancing needs one address on several vhids), and an address the carpdev itself has (refused; a simulated
/// carpdev has none).
/// </summary>
internal static class CarpAddressChecks
{
    /// <summary>Test hook: the addresses this host has on a network interface (empty when it has none or no such interface).</summary>
    internal static Func<string, IReadOnlyList<System.Net.IPAddress>> OwnAddresses { get; set; } = static name =>
    {
        try
        {
            return System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
                .Where(i => string.Equals(i.Name, name, StringComparison.Ordinal))
                .SelectMany(i => i.GetIPProperties().UnicastAddresses.Select(u => u.Address)).ToList();
        }
        catch (System.Net.NetworkInformation.NetworkInformationException)
        {
            return [];
        }
    };

    /// <summary>Warns about each text without "/prefix": the engine makes it a host address (/32 or /128).</summary>
    public static void WarnDefaultPrefixes(Cmdlet cmdlet, IReadOnlyList<string> text, IReadOnlyList<CarpAddress> parsed)
    {
        for (var i = 0; i < text.Count && i < parsed.Count; i++)
        {
            if (!text[i].Contains('/', StringComparison.Ordinal))
            {
                cmdlet.WriteWarning($"{text[i]} has no prefix length: it is used as {parsed[i]}, a host address. " +
                    $"Write it with its subnet's prefix (e.g. {parsed[i].Address}/{(parsed[i].IsIPv6 ? 64 : 24)}) to give it one.");
            }
        }
    }

    /// <summary>
    /// The refusal of <paramref name="addresses"/> for <paramref name="name"/> on <paramref name="carpDev"/>, or null; writes a
    /// warning for each address shared deliberately by an ARP-balancing set.
    /// </summary>
    public static ErrorRecord? Check(CarpCmdlet cmdlet, string name, string carpDev, IReadOnlyList<CarpAddress> addresses)
    {
        var service = cmdlet.Service;
        IReadOnlyList<VirtualHostStatus> others = [];
        var arpBalance = false;
        if (!cmdlet.TryRun(name, () =>
            {
                others = [.. service.GetInterfaces().Where(s => !string.Equals(s.Name, name, StringComparison.Ordinal))];
                arpBalance = others.Count > 0 && service.GetSysctls().ArpBalance;
            }))
        {
            return null;
        }

        foreach (var address in addresses)
        {
            var holders = others.Where(o => o.Addresses.Any(a => a.Address.Equals(address.Address))).ToList();
            if (holders.Count == 0)
            {
                continue;
            }

            var list = string.Join(", ", holders.Select(h => $"{h.Name} (vhid {h.Vhid} on {h.CarpDev})"));
            if (!arpBalance)
            {
                return CarpErrors.Custom(new InvalidOperationException($"{address.Address} is already a virtual address of {list}; two vhids answering for one address is a mistake unless they are an ARP-balancing set."),
                    CarpErrors.DuplicateAddress, ErrorCategory.ResourceExists,
                    $"Choose another -Address, or take it off {holders[0].Name} first (Set-CarpInterface {holders[0].Name} -Address ...). " +
                    "For ARP balancing over several vhids with one address, run Set-CarpSysctl -ArpBalance $true first.", name);
            }

            cmdlet.WriteWarning($"{address.Address} is carried by {list} too: an ARP-balancing set (net.inet.carp.arpbalance is 1).");
        }

        if (cmdlet.SessionKind == CarpSessionKind.Simulation)
        {
            // A simulated carpdev has no addresses of its own.
            return null;
        }

        var own = OwnAddresses(carpDev);
        if (addresses.FirstOrDefault(a => own.Contains(a.Address)) is { Address: not null } clash)
        {
            return CarpErrors.Custom(new InvalidOperationException($"{clash.Address} is an address of {carpDev} itself; a virtual address must be one no host has as its own."),
                CarpErrors.CarpDevAddress, ErrorCategory.InvalidArgument,
                $"Pass to -Address a free address of {carpDev}'s subnet ('ip -br address show {carpDev}' shows the ones it has).", name);
        }

        return null;
    }
}
