using Carp.Engine.Core;

namespace Carp.Linux;

/// <summary>
/// The addresses a timer pass's takeovers add, held back by <see cref="LinuxWire"/> and added together
/// (docs/ARCHITECTURE.md#address-batches): netlink adds them with one sendmsg per 128
/// (<see cref="NetlinkRouteSocket.AddAddresses(ReadOnlySpan{AddressRequest}, Span{NetlinkException})"/>), each virtual host's
/// <c>beforeAdd</c> (its stall timeout) and whatever of them the guardian does not know yet (<c>tellGuardian</c>,
/// write-ahead) going first, and each address that failed is reported on its own.
/// A small batch is added on the engine's thread at <see cref="Add"/>; once a pass holds <see cref="WorkerThreshold"/>
/// addresses, an <see cref="AddressWorker"/> adds them on the other core while the engine goes on signing and sending the
/// pass's adverts, and <see cref="Add"/> waits for it. Held on the engine's loop thread.
/// </summary>
internal sealed class AddressBatch : IDisposable
{
    /// <summary>
    /// From this many addresses in a pass on, a second thread adds them: waking it costs the engine 25–90 µs, about what
    /// the kernel takes for a dozen adds (BENCHMARKS.md#scale), so a single failover never pays for it.
    /// </summary>
    internal const int WorkerThreshold = 16;

    private readonly NetlinkRouteSocket _netlink;
    private readonly Action<VirtualHostConfig>? _beforeAdd;
    private readonly Action<List<(string Link, CarpAddress Address)>>? _tellGuardian;
    private readonly AddressWorker _worker;
    private readonly List<(VirtualHostConfig Config, string Error)> _failures = [];
    private readonly Dictionary<string, int> _linkIndex = new(StringComparer.Ordinal);
    private readonly List<(string Link, CarpAddress Address)> _owned = [];
    private Item[] _items = new Item[16];
    private AddressRequest[] _requests = new AddressRequest[16];
    private NetlinkException?[] _results = new NetlinkException?[16];
    private int _count;
    private Action<VirtualHostConfig>? _added;
    private Action<int>? _reportAdded;
    private int _reported;
    private bool _rehearsing;

    /// <summary>One held address; <see cref="First"/> marks the first of a host's (its <c>beforeAdd</c> goes with it).</summary>
    private readonly record struct Item(VirtualHostConfig Config, string Link, CarpAddress Address, bool First);

    public AddressBatch(NetlinkRouteSocket netlink, Action<VirtualHostConfig>? beforeAdd, Action<List<(string Link, CarpAddress Address)>>? tellGuardian)
    {
        _netlink = netlink;
        _beforeAdd = beforeAdd;
        _tellGuardian = tellGuardian;
        _worker = new AddressWorker(AddRange, "carp-address-batch");
    }

    public int Count => _count;

    /// <summary>
    /// Holds back <paramref name="addresses"/> of <paramref name="config"/>, to be added on <paramref name="link"/> by
    /// <see cref="Add"/> or, in a large batch, by the worker from now on.
    /// </summary>
    public void Hold(VirtualHostConfig config, string link, IReadOnlyList<CarpAddress> addresses)
    {
        if (IndexOf(link) is not { } index)
        {
            foreach (var address in addresses)
            {
                _failures.Add((config, $"{Cidr(address)}: {link} has disappeared: remove {config.Name} and create it again."));
            }

            return;
        }

        if (_count + addresses.Count > _items.Length)
        {
            // Not reserved for (Reserve keeps up with the interfaces): what is held is added before the lists grow.
            Finish(retry: true);
            Grow(Math.Max(_count + addresses.Count, _items.Length * 2));
        }

        for (var i = 0; i < addresses.Count; i++)
        {
            _items[_count] = new Item(config, link, addresses[i], i == 0);
            _requests[_count] = new AddressRequest(index, addresses[i].Address, addresses[i].PrefixLength);
            _count++;
        }

        if (_worker.Running || _count >= WorkerThreshold)
        {
            _worker.Publish(_count);
        }
    }

    /// <summary>A link is gone or replaced: its index is looked up again next time.</summary>
    public void ForgetLink(string link) => _linkIndex.Remove(link);

    /// <summary>
    /// Runs a batch once before the first takeover needs it, touching nothing (BENCHMARKS.md#scale): addresses are held for
    /// a link no host has (<see cref="RehearsalLink"/>, given an interface index no link has) and added without telling the
    /// guardian, so the kernel refuses them and the failures are dropped; as many as make the worker take them, so that
    /// its thread and code have run too. The first mass takeover of a process otherwise compiled this code, and the
    /// collections it uses, between its adverts and its addresses (BENCHMARKS.md#scale).
    /// </summary>
    public void Rehearse()
    {
        _linkIndex[RehearsalLink] = int.MaxValue;
        _rehearsing = true;
        try
        {
            var config = new VirtualHostConfig { Name = RehearsalLink, Vhid = 1, CarpDev = RehearsalLink, Addresses = [CarpAddress.Parse("192.0.2.1/32")] };
            Reserve(WorkerThreshold);
            for (var i = 0; i < WorkerThreshold; i++)
            {
                Hold(config, RehearsalLink, config.Addresses);
            }

            Finish(retry: false);
        }
        catch (NetlinkException)
        {
            // The socket itself failed: the first real add reports it.
        }
        finally
        {
            _rehearsing = false;
            _linkIndex.Remove(RehearsalLink);
            _failures.Clear();
        }
    }

    /// <summary>
    /// Grows the batch's lists to <paramref name="addresses"/> now, as interfaces are prepared, so that a mass takeover's
    /// pass neither allocates nor grows them. Not while a batch is held (the wire adds what is held first).
    /// </summary>
    public void Reserve(int addresses)
    {
        if (addresses > _items.Length)
        {
            Grow(addresses);
        }

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

    /// <summary>
    /// Adds what is held back (or waits for the worker to finish it); failures are kept for <see cref="ReportFailures"/>.
    /// While it waits for the worker, <paramref name="added"/> hears, each time the worker has done more, of the last host
    /// whose addresses are all in: it and every host held before it are added (the caller takes the rest as added when
    /// this returns).
    /// </summary>
    public void Add(Action<VirtualHostConfig>? added = null) => Finish(retry: true, added);

    private void Finish(bool retry, Action<VirtualHostConfig>? added = null)
    {
        if (_count == 0)
        {
            return;
        }

        try
        {
            if (_worker.Running)
            {
                _worker.Publish(_count);
                _added = added;
                _reported = 0;
                _worker.Finish(added is null ? null : _reportAdded ??= ReportAdded);
            }
            else
            {
                AddRange(0, _count);
            }

            for (var i = 0; i < _count; i++)
            {
                if (_results[i] is not { } error)
                {
                    continue;
                }

                var item = _items[i];
                if (retry && error.Errno == 19 /* ENODEV: the link was made again under the same name */ && Retry(item.Link, item.Address) is null)
                {
                    continue;
                }

                _failures.Add((item.Config, $"{Cidr(item.Address)} on {item.Link}: {error.Message}"));
            }
        }
        finally
        {
            _added = null;
            Array.Clear(_items, 0, _count);
            Array.Clear(_results, 0, _count);
            _count = 0;
        }
    }

    /// <summary>
    /// The worker has done items [0, <paramref name="done"/>): the last host whose addresses are all among them is named
    /// once (every host held before it is complete too).
    /// </summary>
    private void ReportAdded(int done)
    {
        for (var i = done - 1; i >= _reported; i--)
        {
            if (i + 1 == _count || _items[i + 1].First)
            {
                _added?.Invoke(_items[i].Config);
                break;
            }
        }

        _reported = done;
    }

    /// <summary>Adds items [<paramref name="from"/>, <paramref name="to"/>): on the worker's thread in a large batch, else the engine's.</summary>
    private void AddRange(int from, int to)
    {
        _owned.Clear();
        for (var i = from; i < to; i++)
        {
            var item = _items[i];
            if (item.First && !_rehearsing)
            {
                _beforeAdd?.Invoke(item.Config);
            }

            _owned.Add((item.Link, item.Address));
        }

        // Write-ahead: the guardian knows every address before the kernel has any of them.
        if (!_rehearsing)
        {
            _tellGuardian?.Invoke(_owned);
        }

        _netlink.AddAddresses(_requests.AsSpan(from, to - from), _results.AsSpan(from, to - from));
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

    private void Grow(int length)
    {
        Array.Resize(ref _items, length);
        Array.Resize(ref _requests, length);
        Array.Resize(ref _results, length);
    }

    public void Dispose()
    {
        try
        {
            _worker.Finish();
        }
        catch (NetlinkException)
        {
            // Going away: whatever was not added is not there.
        }

        _worker.Dispose();
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
            _netlink.AddAddress(index, address.Address, address.PrefixLength);
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

        if (_netlink.GetLink(link) is not { } info)
        {
            return null;
        }

        _linkIndex[link] = info.Index;
        return info.Index;
    }

    private static string Cidr(CarpAddress address) => $"{address.Address}/{address.PrefixLength}";
}
