using System.Net;
using System.Net.Sockets;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carp.Linux;

/// <summary>
/// Enforces VRRP's Accept_Mode off (docs/protocol.md#vrrp-accept-mode): one nftables table of family <c>inet</c> per
/// engine process, <c>carpps_accept_PID</c>, whose input chain drops IPv4 and IPv6 packets addressed to a virtual address
/// of a MASTER without Accept_Mode. Neighbour solicitations and advertisements still pass (the master answers ND for
/// the address), ARP is not IP and never reaches this hook, and forwarded packets (sent to the virtual MAC for another
/// destination) take the forward hook, not this one. Packets from the host itself (loopback) pass. The table exists
/// only while an address is refused; the <see cref="AddressGuardian"/> records it before it is created and deletes it
/// when the process dies, and a table of an engine that is gone is swept when the next one needs its own.
/// </summary>
internal sealed class AcceptModeFilter(AddressGuardian? guardian, Action<CarpLogLevel, string>? log) : IDisposable
{
    private const string Prefix = "carpps_accept_";

    private readonly NftablesAddressTable _table = new("inet", Prefix, "Accept_Mode",
        "VRRP without Accept_Mode needs nftables to drop the packets addressed to the virtual addresses",
        Definition, guardian, log);

    /// <summary>The table's name: one per process, so two engines in one namespace do not touch each other's.</summary>
    public static string TableName => NftablesAddressTable.NameFor(Prefix);

    /// <summary>Every address currently refused, over all virtual hosts.</summary>
    public IReadOnlyCollection<IPAddress> Addresses => _table.Addresses;

    /// <summary>Sets the refused addresses of one virtual host (its carpdev/vhid); empty lifts them.</summary>
    public void Set(string key, IReadOnlyList<IPAddress> addresses) => _table.Set(key, addresses);

    /// <summary>Deletes the table if it exists (the engine stops).</summary>
    public void Dispose() => _table.Dispose();

    private static string Definition(string name, IReadOnlyCollection<IPAddress> refused)
    {
        var v4 = string.Join(", ", refused.Where(a => a.AddressFamily == AddressFamily.InterNetwork));
        var v6 = string.Join(", ", refused.Where(a => a.AddressFamily == AddressFamily.InterNetworkV6));
        return $$"""
            table inet {{name}} {
              set refused4 { type ipv4_addr; {{(v4.Length > 0 ? $"elements = {{ {v4} }}" : string.Empty)}} }
              set refused6 { type ipv6_addr; {{(v6.Length > 0 ? $"elements = {{ {v6} }}" : string.Empty)}} }
              chain input {
                type filter hook input priority filter; policy accept;
                iifname "lo" accept
                icmpv6 type { nd-neighbor-solicit, nd-neighbor-advert } accept
                ip daddr @refused4 counter drop
                ip6 daddr @refused6 counter drop
              }
            }

            """;
    }
}
