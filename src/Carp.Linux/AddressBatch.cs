using Carp.Engine.Core;

namespace Carp.Linux;

/// <summary>
/// The addresses a timer pass's takeovers add, held back by <see cref="LinuxWire"/> and added together
/// (docs/ARCHITECTURE.md#address-batches): whatever of them the guardian does not know yet is handed to
/// <paramref name="tellGuardian"/> first (write-ahead), then netlink adds them with one sendmsg per 128
/// (<see cref="NetlinkRouteSocket.AddAddresses"/>), and each address that failed is reported on its own. Used only on the
/// engine's loop thread.
/// </summary>
internal sealed class AddressBatch(NetlinkRouteSocket netlink, Action<List<(string Link, CarpAddress Address)>>? tellGuardian)
{
    private readonly List<(VirtualHostConfig Config, string Link, CarpAddress Address)> _pending = [];
    private readonly List<(VirtualHostConfig Config, string Error)> _failures = [];
    private readonly Dictionary<string, int> _linkIndex = new(StringComparer.Ordinal);
    private readonly List<AddressRequest> _requests = [];
    private readonly List<(VirtualHostConfig Config, string Link, CarpAddress Address)> _held = [];
    private readonly List<(string Link, CarpAddress Address)> _owned = [];

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
    /// Runs a batch once before the first takeover needs it, touching nothing (BENCHMARKS.md#scale): an address is held for
    /// a link no host has (<see cref="RehearsalLink"/>, given an interface index no link has) and added without telling the
    /// guardian, so the kernel refuses it and the failure is dropped. The first mass takeover of a process otherwise
    /// compiled this code, and the collections it uses, between its adverts and its addresses (BENCHMARKS.md#scale).
    /// </summary>
    public void Rehearse()
    {
        _linkIndex[RehearsalLink] = int.MaxValue;
        try
        {
            var config = new VirtualHostConfig { Name = RehearsalLink, Vhid = 1, CarpDev = RehearsalLink, Addresses = [CarpAddress.Parse("192.0.2.1/32")] };
            Reserve(1);
            Hold(config, RehearsalLink, config.Addresses);
            AddTelling(told: null);
        }
        catch (NetlinkException)
        {
            // The socket itself failed: the first real add reports it.
        }
        finally
        {
            _linkIndex.Remove(RehearsalLink);
            _failures.Clear();
        }
    }

    /// <summary>
    /// Grows the batch's lists to <paramref name="addresses"/> now, as interfaces are prepared, so that a mass takeover's
    /// pass neither allocates nor grows them.
    /// </summary>
    public void Reserve(int addresses)
    {
        _pending.EnsureCapacity(addresses);
        _requests.EnsureCapacity(addresses);
        _held.EnsureCapacity(addresses);
        _owned.EnsureCapacity(addresses);
    }

    /// <summary>The link name a rehearsal holds its address for: no interface has it (names are at most 15 characters).</summary>
    internal const string RehearsalLink = "carp-rehearsal!";

    /// <summary>
    /// Looks up <paramref name="link"/>'s index now, when its interface is prepared, not in the pass that first adds an
    /// address to it: a mass takeover in virtual-MAC mode otherwise asked the kernel for one link per vhid in its first
    /// pass (BENCHMARKS.md#scale). A link that is not there is looked up again at the add.
    /// </summary>
    public void Learn(string link) => _ = IndexOf(link);

    /// <summary>Adds what is held back; failures are kept for <see cref="ReportFailures"/>.</summary>
    public void Add() => AddTelling(tellGuardian);

    private void AddTelling(Action<List<(string Link, CarpAddress Address)>>? told)
    {
        if (_pending.Count == 0)
        {
            return;
        }

        // Reused lists: a pass allocates nothing for them once they have grown to a mass takeover's size.
        _requests.Clear();
        _held.Clear();
        _owned.Clear();
        foreach (var item in _pending)
        {
            if (IndexOf(item.Link) is { } index)
            {
                _requests.Add(new AddressRequest(index, item.Address.Address, item.Address.PrefixLength));
                _held.Add(item);
                _owned.Add((item.Link, item.Address));
            }
            else
            {
                _failures.Add((item.Config, $"{Cidr(item.Address)}: {item.Link} has disappeared: remove {item.Config.Name} and create it again."));
            }
        }

        _pending.Clear();
        if (_requests.Count == 0)
        {
            return;
        }

        // Write-ahead: the guardian knows every address before the kernel has any of them.
        told?.Invoke(_owned);
        var results = netlink.AddAddresses(_requests);
        for (var i = 0; i < results.Length; i++)
        {
            if (results[i] is not { } error)
            {
                continue;
            }

            var (config, link, address) = _held[i];
            if (error.Errno == 19 /* ENODEV: the link was made again under the same name */ && Retry(link, address) is null)
            {
                continue;
            }

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
