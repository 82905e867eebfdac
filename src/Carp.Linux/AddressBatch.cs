using System.Net;
using Carp.Engine.Core;

namespace Carp.Linux;

/// <summary>
/// The addresses a timer pass's takeovers add, held back by <see cref="LinuxWire"/> and added together
/// (docs/ARCHITECTURE.md#address-batches): the guardian is told about all of them in one write, then netlink adds them
/// with one sendmsg per 128 (<see cref="NetlinkRouteSocket.AddAddresses"/>), and each address that failed is reported on
/// its own and forgotten by the guardian again. Used only on the engine's loop thread.
/// </summary>
internal sealed class AddressBatch(NetlinkRouteSocket netlink, AddressGuardian? guardian)
{
    private readonly List<(VirtualHostConfig Config, string Link, CarpAddress Address)> _pending = [];
    private readonly List<(VirtualHostConfig Config, string Error)> _failures = [];
    private readonly Dictionary<string, int> _linkIndex = new(StringComparer.Ordinal);

    public int Count => _pending.Count;

    /// <summary>Holds back <paramref name="addresses"/> of <paramref name="config"/>, to be added on <paramref name="link"/> at <see cref="Add"/>.</summary>
    public void Hold(VirtualHostConfig config, string link, IReadOnlyList<CarpAddress> addresses)
    {
        foreach (var address in addresses)
        {
            _pending.Add((config, link, address));
        }
    }

    /// <summary>A link is gone or replaced: its index is looked up again next time.</summary>
    public void ForgetLink(string link) => _linkIndex.Remove(link);

    /// <summary>
    /// Runs an add once before the first takeover needs it, touching nothing: the guardian is told of no address, and the
    /// kernel is asked to add 192.0.2.1/32 to an interface index no link has, which it refuses. The first real add of a
    /// process otherwise cost a mass takeover's first pass about 9 ms (BENCHMARKS.md#scale).
    /// </summary>
    public void Rehearse()
    {
        guardian?.OwnAddresses([]);
        try
        {
            _ = netlink.AddAddresses([new AddressRequest(int.MaxValue, IPAddress.Parse("192.0.2.1"), 32)]);
        }
        catch (NetlinkException)
        {
            // The socket itself failed: the first real add reports it.
        }

        _ = Cidr(CarpAddress.Parse("192.0.2.1/32"));
    }

    /// <summary>
    /// Looks up <paramref name="link"/>'s index now, when its interface is prepared, not in the pass that first adds an
    /// address to it: a mass takeover in virtual-MAC mode otherwise asked the kernel for one link per vhid in its first
    /// pass (BENCHMARKS.md#scale). A link that is not there is looked up again at the add.
    /// </summary>
    public void Learn(string link) => _ = IndexOf(link);

    /// <summary>Adds what is held back; failures are kept for <see cref="ReportFailures"/>.</summary>
    public void Add()
    {
        if (_pending.Count == 0)
        {
            return;
        }

        var requests = new List<AddressRequest>(_pending.Count);
        var held = new List<(VirtualHostConfig Config, string Link, CarpAddress Address)>(_pending.Count);
        foreach (var item in _pending)
        {
            if (IndexOf(item.Link) is { } index)
            {
                requests.Add(new AddressRequest(index, item.Address.Address, item.Address.PrefixLength));
                held.Add(item);
            }
            else
            {
                _failures.Add((item.Config, $"{Cidr(item.Address)}: {item.Link} has disappeared: remove {item.Config.Name} and create it again."));
            }
        }

        _pending.Clear();
        if (requests.Count == 0)
        {
            return;
        }

        // Write-ahead: the guardian knows every address before the kernel has any of them.
        guardian?.OwnAddresses(held.Select(h => (h.Link, Cidr(h.Address))));
        var results = netlink.AddAddresses(requests);
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i] is not { } error)
            {
                continue;
            }

            var (config, link, address) = held[i];
            if (error.Errno == 19 /* ENODEV: the link was made again under the same name */ && Retry(link, address) is null)
            {
                continue;
            }

            guardian?.DisownAddress(link, Cidr(address));
            _failures.Add((config, $"{Cidr(address)} on {link}: {error.Message}"));
        }
    }

    /// <summary>Hands each failure of the batches since the last report to <paramref name="failed"/>.</summary>
    public void ReportFailures(Action<VirtualHostConfig, string> failed)
    {
        foreach (var (config, error) in _failures)
        {
            failed(config, error);
        }

        _failures.Clear();
    }

    private NetlinkException? Retry(string link, CarpAddress address)
    {
        ForgetLink(link);
        if (IndexOf(link) is not { } index)
        {
            return new NetlinkException($"RTM_GETLINK {link}", 19);
        }

        try
        {
            netlink.AddAddress(index, address.Address, address.PrefixLength);
            return null;
        }
        catch (NetlinkException ex)
        {
            return ex;
        }
    }

    private int? IndexOf(string link)
    {
        if (_linkIndex.TryGetValue(link, out var index))
        {
            return index;
        }

        if (netlink.GetLink(link) is not { } info)
        {
            return null;
        }

        _linkIndex[link] = info.Index;
        return info.Index;
    }

    private static string Cidr(CarpAddress address) => $"{address.Address}/{address.PrefixLength}";
}
