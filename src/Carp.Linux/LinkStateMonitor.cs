using System.Net;
using System.Runtime.InteropServices;
using static Carp.Linux.NetlinkConstants;

namespace Carp.Linux;

/// <summary>
/// Watches link up/down changes (rtnetlink group RTNLGRP_LINK) of the network namespace of the
/// thread that constructs it, and raises <see cref="LinkChanged"/> on a dedicated background thread
/// whenever a link's "up" state (IFF_UP and IFF_LOWER_UP/IFF_RUNNING) changes, a link appears or
/// a link is removed. Repeated notifications that do not change the state are swallowed. It also
/// watches the IPv4 and IPv6 address groups and raises <see cref="AddressesChanged"/> when a link's
/// own addresses change (adverts leave from them: docs/protocol.md#source-address).
/// </summary>
public sealed unsafe class LinkStateMonitor : IDisposable
{
    // RTNLGRP_IPV4_IFADDR and RTNLGRP_IPV6_IFADDR of linux/rtnetlink.h.
    private const int RtnlGroupIPv4Addresses = 5;
    private const int RtnlGroupIPv6Addresses = 9;

    private readonly NetlinkChannel _channel;
    private readonly FileDescriptorHandle _wake;
    private readonly bool _raiseInitialState;
    private readonly Dictionary<int, (string Name, bool IsUp)> _known = [];
    private readonly Lock _gate = new();
    private Thread? _thread;
    private uint _dumpSequence;
    private bool _initialDumpDone;
    private HashSet<int>? _resyncSeen;
    private volatile bool _stopping;
    private bool _disposed;

    /// <summary>
    /// Subscribes in the calling thread's namespace (from here on no change is lost) and asks for
    /// the current state. Call <see cref="Start"/> after attaching handlers.
    /// </summary>
    /// <param name="raiseInitialState">Also raise one event per link for the state found at start.</param>
    public LinkStateMonitor(bool raiseInitialState = false)
    {
        _raiseInitialState = raiseInitialState;
        _channel = new NetlinkChannel(receiveTimeout: null, receiveBufferBytes: 1 << 20);
        try
        {
            _channel.AddMembership(RTNLGRP_LINK);
            _channel.AddMembership(RtnlGroupIPv4Addresses);
            _channel.AddMembership(RtnlGroupIPv6Addresses);
            int wake = LibC.EventFd(0, LibC.EFD_CLOEXEC | LibC.EFD_NONBLOCK);
            if (wake < 0)
            {
                throw LibC.LastError("eventfd");
            }

            _wake = new FileDescriptorHandle(wake);
            RequestDump();
        }
        catch
        {
            _channel.Dispose();
            throw;
        }
    }

    /// <summary>Raised on the monitor thread. Keep handlers short; exceptions go to <see cref="HandlerFailed"/>.</summary>
    public event EventHandler<LinkStateChangedEventArgs>? LinkChanged;

    /// <summary>
    /// Raised on the monitor thread for an address added to or removed from a link, or with neither link nor address when
    /// notifications were lost and any link's addresses may have changed.
    /// </summary>
    public event EventHandler<AddressChangedEventArgs>? AddressesChanged;

    /// <summary>A <see cref="LinkChanged"/> handler threw, or the netlink socket failed (monitoring then stops).</summary>
    public event EventHandler<Exception>? HandlerFailed;

    /// <summary>Last known up state per interface index.</summary>
    public IReadOnlyDictionary<int, bool> Snapshot
    {
        get
        {
            lock (_gate)
            {
                return _known.ToDictionary(kv => kv.Key, kv => kv.Value.IsUp);
            }
        }
    }

    /// <summary>Starts the monitor thread (idempotent).</summary>
    public void Start()
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _thread ??= NetworkNamespace.StartWorker("carp link monitor", Loop);
        }
    }

    /// <summary>Stops the thread (waits for it) and closes the socket.</summary>
    public void Dispose()
    {
        Thread? thread;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            thread = _thread;
        }

        _stopping = true;
        ulong one = 1;
        _ = LibC.Write(_wake.Fd, &one, sizeof(ulong));
        if (thread is not null && thread != Thread.CurrentThread)
        {
            thread.Join();
        }

        _channel.Dispose();
        _wake.Dispose();
    }

    private void RequestDump()
    {
        Span<byte> buffer = stackalloc byte[64];
        _dumpSequence = (uint)Environment.TickCount | 1u;
        var w = new NetlinkMessageWriter(buffer, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, _dumpSequence);
        w.WriteIfInfoMsg(AF_UNSPEC, 0, 0, 0);
        _channel.Send(w.Finish());
    }

    private void Loop()
    {
        byte[] buffer = new byte[64 * 1024];
        var fds = stackalloc LibC.PollFd[2];
        fds[0] = new LibC.PollFd { Fd = _channel.Fd, Events = LibC.POLLIN };
        fds[1] = new LibC.PollFd { Fd = _wake.Fd, Events = LibC.POLLIN };
        try
        {
            while (!_stopping)
            {
                fds[0].Revents = 0;
                fds[1].Revents = 0;
                int ready = LibC.Poll(fds, 2, -1);
                if (ready < 0)
                {
                    if (Marshal.GetLastPInvokeError() == LibC.EINTR)
                    {
                        continue;
                    }

                    throw LibC.LastError("poll(netlink)");
                }

                if (_stopping || (fds[1].Revents & LibC.POLLIN) != 0)
                {
                    return;
                }

                if (fds[0].Revents == 0)
                {
                    continue;
                }

                int n = _channel.Receive(buffer);
                if (n == -LibC.ENOBUFS)
                {
                    // The kernel dropped notifications: re-read the whole state and report differences.
                    _resyncSeen = [];
                    RequestDump();
                    RaiseAddressesChanged(null, null);
                    continue;
                }

                if (n < 0)
                {
                    throw new NetlinkException("recv(netlink link notifications)", -n);
                }

                Process(buffer.AsSpan(0, n));
            }
        }
        catch (Exception ex)
        {
            if (!_stopping)
            {
                HandlerFailed?.Invoke(this, ex);
            }
        }
    }

    private void Process(ReadOnlySpan<byte> datagram)
    {
        var reader = new NetlinkMessageReader(datagram);
        while (reader.TryRead(out NetlinkMessage m))
        {
            bool fromDump = m.Sequence == _dumpSequence && m.Sequence != 0;
            if (m.Type == NLMSG_DONE && fromDump)
            {
                FinishDump();
                continue;
            }

            if (m.Type is RTM_NEWADDR or RTM_DELADDR)
            {
                OnAddressMessage(m.Payload);
                continue;
            }

            if (m.Type is not (RTM_NEWLINK or RTM_DELLINK) || !NetlinkRouteSocket.TryParseLink(m.Payload, out LinkInfo? link))
            {
                continue;
            }

            LinkStateChangedEventArgs? change = null;
            lock (_gate)
            {
                bool known = _known.TryGetValue(link.Index, out var previous);
                if (m.Type == RTM_DELLINK)
                {
                    if (_known.Remove(link.Index))
                    {
                        change = new LinkStateChangedEventArgs(link.Name, link.Index, false, link.Flags, removed: true);
                    }
                }
                else
                {
                    _known[link.Index] = (link.Name, link.IsUp);
                    _resyncSeen?.Add(link.Index);
                    bool silent = fromDump && !_initialDumpDone && !_raiseInitialState;
                    if (!silent && (!known || previous.IsUp != link.IsUp))
                    {
                        change = new LinkStateChangedEventArgs(link.Name, link.Index, link.IsUp, link.Flags, removed: false);
                    }
                }
            }

            if (change is not null)
            {
                Raise(change);
            }
        }
    }

    private void FinishDump()
    {
        List<LinkStateChangedEventArgs> removed = [];
        lock (_gate)
        {
            _initialDumpDone = true;
            if (_resyncSeen is { } seen)
            {
                foreach (int index in _known.Keys.Where(k => !seen.Contains(k)).ToList())
                {
                    removed.Add(new LinkStateChangedEventArgs(_known[index].Name, index, false, LinkFlags.None, removed: true));
                    _known.Remove(index);
                }

                _resyncSeen = null;
            }
        }

        foreach (LinkStateChangedEventArgs change in removed)
        {
            Raise(change);
        }
    }

    /// <summary>An address notification: <c>struct ifaddrmsg</c> (family, prefixlen, flags, scope, then the u32 interface index).</summary>
    private void OnAddressMessage(ReadOnlySpan<byte> payload)
    {
        if (payload.Length < 8)
        {
            return;
        }

        int index = MemoryMarshal.Read<int>(payload[4..]); // host byte order, as netlink is
        string? name;
        lock (_gate)
        {
            name = _known.TryGetValue(index, out var link) ? link.Name : null;
        }

        if (name is not null)
        {
            RaiseAddressesChanged(name, NetlinkRouteSocket.TryParseAddress(payload, out var address) ? address.Address : null);
        }
    }

    private void RaiseAddressesChanged(string? name, IPAddress? address)
    {
        try
        {
            AddressesChanged?.Invoke(this, new AddressChangedEventArgs(name, address));
        }
        catch (Exception ex)
        {
            HandlerFailed?.Invoke(this, ex);
        }
    }

    private void Raise(LinkStateChangedEventArgs change)
    {
        try
        {
            LinkChanged?.Invoke(this, change);
        }
        catch (Exception ex)
        {
            HandlerFailed?.Invoke(this, ex);
        }
    }
}
