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
    private readonly Dictionary<string, IPAddress[]> _byDevice = new(StringComparer.Ordinal);
    private bool _exists;
    private bool _swept;

    private static readonly NftablesScript Nft = new("arp", "carpps_", "ARP-balancing",
        "ARP balancing needs nftables to keep the host's own ARP replies for the balanced addresses off the wire");

    /// <summary>The table's name: one per process, so two engines in one namespace do not touch each other's.</summary>
    public static string TableName => Nft.TableName;

    /// <summary>Every address currently suppressed, over all carpdevs.</summary>
    public IReadOnlyCollection<IPAddress> Addresses => _byDevice.Values.SelectMany(a => a).Distinct().ToArray();

    public void Set(string carpDev, IReadOnlyList<IPAddress> addresses)
    {
        if (addresses.Count == 0)
        {
            _byDevice.Remove(carpDev);
        }
        else
        {
            _byDevice[carpDev] = [.. addresses];
        }

        Apply();
    }

    private void Apply()
    {
        var all = Addresses;
        if (all.Count == 0)
        {
            if (_exists)
            {
                Nft.Run($"delete table arp {TableName}\n");
                _exists = false;
                guardian?.DisownNftTable(TableName);
            }

            return;
        }

        if (!_swept)
        {
            _swept = true;
            Nft.SweepStale(log);
        }

        // Recorded before it exists; replaced in one transaction, so no request slips through between two versions.
        guardian?.OwnNftTable(TableName);
        var elements = string.Join(", ", all);
        Nft.Run($$"""
            add table arp {{TableName}}
            delete table arp {{TableName}}
            table arp {{TableName}} {
              set balanced { type ipv4_addr; elements = { {{elements}} } }
              chain input {
                type filter hook input priority filter; policy accept;
                arp operation request arp daddr ip @balanced counter drop
              }
            }

            """);
        _exists = true;
    }

    /// <summary>Deletes the table if it exists (the engine stops).</summary>
    public void Dispose()
    {
        if (!_exists)
        {
            return;
        }

        _byDevice.Clear();
        try
        {
            Apply();
        }
        catch (CarpException ex)
        {
            log?.Invoke(CarpLogLevel.Error, $"{ex.Message}; the guardian deletes the table {TableName} when this process ends");
        }
    }
}
