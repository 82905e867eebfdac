using System.Net;
using Carp.Engine.Core;
using Carp.Engine.Hosting;

namespace Carp.Linux;

/// <summary>
/// Keeps the kernel from answering ARP requests for the ARP-balanced addresses (docs/protocol.md#arp-balancing): one
/// nftables table of family <c>arp</c> per engine process, <c>carpps_PID</c>, whose input chain drops every ARP request for
/// an address of its set <c>balanced</c> before the kernel's ARP code sees it; the engine's capture, which reads the
/// frame before that hook, answers instead. The table exists only while an address is balanced. The
/// <see cref="AddressGuardian"/> records it before it is created and deletes it when the process dies.
/// </summary>
internal sealed class ArpSuppression(AddressGuardian? guardian, Action<CarpLogLevel, string>? log) : IDisposable
{
    private const string Prefix = "carpps_";

    private readonly NftablesAddressTable _table = new("arp", Prefix, "ARP-balancing",
        "ARP balancing needs nftables to keep the host's own ARP replies for the balanced addresses off the wire",
        Definition, guardian, log);

    /// <summary>The table's name: one per process, so two engines in one namespace do not touch each other's.</summary>
    public static string TableName => NftablesAddressTable.NameFor(Prefix);

    /// <summary>Every address currently suppressed, over all carpdevs.</summary>
    public IReadOnlyCollection<IPAddress> Addresses => _table.Addresses;

    /// <summary>Sets the balanced addresses of one carpdev; empty lifts them.</summary>
    public void Set(string carpDev, IReadOnlyList<IPAddress> addresses) => _table.Set(carpDev, addresses);

    /// <summary>Deletes the table if it exists (the engine stops).</summary>
    public void Dispose() => _table.Dispose();

    private static string Definition(string name, IReadOnlyCollection<IPAddress> balanced) => $$"""
        table arp {{name}} {
          set balanced { type ipv4_addr; elements = { {{string.Join(", ", balanced)}} } }
          chain input {
            type filter hook input priority filter; policy accept;
            arp operation request arp daddr ip @balanced counter drop
          }
        }

        """;
}
