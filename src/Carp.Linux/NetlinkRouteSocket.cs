using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Carp.Linux.NetlinkConstants;

namespace Carp.Linux;

/// <summary>Called for each reply message of a request (not for ACK/DONE).</summary>
internal delegate void NetlinkReplyHandler(NetlinkMessage message);

/// <summary>
/// rtnetlink requests over a raw NETLINK_ROUTE socket: addresses, link lookup, macvlan links.
/// The socket works in the network namespace of the thread that created it (see
/// <see cref="NetworkNamespace"/>). Every request asks for an ACK; kernel errors become
/// <see cref="NetlinkException"/> with the errno name. Thread-safe (requests are serialised).
/// </summary>
public sealed class NetlinkRouteSocket : IDisposable
{
    private const int ErrnoENOENT = 2;
    private const int ErrnoEEXIST = 17;
    private const int ErrnoENODEV = 19;
    private const int ErrnoEADDRNOTAVAIL = 99;
    private const int ErrnoETIMEDOUT = 110;
    private const int MaxDumpAttempts = 5;

    private readonly NetlinkChannel _channel;
    private readonly Lock _gate = new();
    private readonly byte[] _receiveBuffer = new byte[64 * 1024];
    private uint _sequence = (uint)Environment.TickCount;
    private bool _disposed;

    /// <summary>Opens the socket in the calling thread's network namespace.</summary>
    /// <param name="replyTimeout">How long to wait for the kernel's answer (default 5 s).</param>
    public NetlinkRouteSocket(TimeSpan? replyTimeout = null)
    {
        _channel = new NetlinkChannel(replyTimeout ?? TimeSpan.FromSeconds(5));
    }

    /// <summary>
    /// Adds <paramref name="address"/>/<paramref name="prefixLength"/> to the interface. IPv6
    /// addresses get IFA_F_NODAD so they are usable at once. Idempotent.
    /// </summary>
    /// <returns>true if added, false if it was already there (EEXIST).</returns>
    public bool AddAddress(int ifIndex, IPAddress address, int prefixLength)
    {
        Span<byte> buffer = stackalloc byte[128];
        var w = BuildAddressRequest(buffer, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifIndex, address, prefixLength, out uint seq);
        int errno = Execute(w.Finish(), seq, null, out string? kernelMessage);
        return errno switch
        {
            0 => true,
            ErrnoEEXIST => false,
            _ => throw new NetlinkException($"RTM_NEWADDR {address}/{prefixLength} on ifindex {ifIndex}", errno, kernelMessage),
        };
    }

    /// <summary>Removes the address. Idempotent.</summary>
    /// <returns>true if removed, false if it was not there (EADDRNOTAVAIL/ENOENT).</returns>
    public bool RemoveAddress(int ifIndex, IPAddress address, int prefixLength)
    {
        Span<byte> buffer = stackalloc byte[128];
        var w = BuildAddressRequest(buffer, RTM_DELADDR, 0, ifIndex, address, prefixLength, out uint seq);
        int errno = Execute(w.Finish(), seq, null, out string? kernelMessage);
        return errno switch
        {
            0 => true,
            ErrnoEADDRNOTAVAIL or ErrnoENOENT => false,
            _ => throw new NetlinkException($"RTM_DELADDR {address}/{prefixLength} on ifindex {ifIndex}", errno, kernelMessage),
        };
    }

    /// <summary>Addresses of one interface (or of all interfaces when <paramref name="ifIndex"/> is 0).</summary>
    public IReadOnlyList<LinkAddress> GetAddresses(int ifIndex)
    {
        var result = new List<LinkAddress>();
        Dump(
            "RTM_GETADDR",
            result,
            (buffer, seq) =>
            {
                var w = new NetlinkMessageWriter(buffer, RTM_GETADDR, NLM_F_REQUEST | NLM_F_DUMP, seq);
                w.WriteIfAddrMsg(AF_UNSPEC, 0, 0, 0, 0);
                return w.Finish().Length;
            },
            m =>
            {
                if (m.Type == RTM_NEWADDR && TryParseAddress(m.Payload, out LinkAddress? a) && (ifIndex == 0 || a.InterfaceIndex == ifIndex))
                {
                    result.Add(a);
                }
            });
        return result;
    }

    /// <summary>Interface index of <paramref name="name"/> in this socket's namespace.</summary>
    /// <exception cref="NetlinkException">ENODEV when there is no such interface.</exception>
    public int GetLinkIndex(string name) =>
        GetLink(name)?.Index ?? throw new NetlinkException($"RTM_GETLINK {name}", ErrnoENODEV);

    /// <summary>The interface called <paramref name="name"/>, or null when there is none.</summary>
    public LinkInfo? GetLink(string name)
    {
        ValidateName(name);
        return QueryLink(name, 0);
    }

    /// <summary>The interface with index <paramref name="ifIndex"/>, or null when there is none.</summary>
    public LinkInfo? GetLink(int ifIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifIndex);
        return QueryLink(null, ifIndex);
    }

    /// <summary>All interfaces of this socket's namespace.</summary>
    public IReadOnlyList<LinkInfo> GetLinks()
    {
        var result = new List<LinkInfo>();
        Dump(
            "RTM_GETLINK",
            result,
            (buffer, seq) =>
            {
                var w = new NetlinkMessageWriter(buffer, RTM_GETLINK, NLM_F_REQUEST | NLM_F_DUMP, seq);
                w.WriteIfInfoMsg(AF_UNSPEC, 0, 0, 0);
                return w.Finish().Length;
            },
            m =>
            {
                if (m.Type == RTM_NEWLINK && TryParseLink(m.Payload, out LinkInfo? link))
                {
                    result.Add(link);
                }
            });
        return result;
    }

    /// <summary>
    /// Creates a macvlan link <paramref name="name"/> on <paramref name="lowerDevice"/> with the given
    /// MAC (e.g. the CARP virtual MAC 00:00:5e:00:01:vhid). The link is left down.
    /// </summary>
    /// <param name="mode">"private" (default), "vepa", "bridge", "passthru" or "source".</param>
    /// <exception cref="NetlinkException">EEXIST when the name is taken, ENODEV when the lower device is missing.</exception>
    public void CreateMacvlan(string name, string lowerDevice, PhysicalAddress mac, string mode = "private")
    {
        ValidateName(name);
        ArgumentNullException.ThrowIfNull(mac);
        uint macvlanMode = mode switch
        {
            "private" => 1,
            "vepa" => 2,
            "bridge" => 4,
            "passthru" => 8,
            "source" => 16,
            _ => throw new ArgumentException($"Unknown macvlan mode '{mode}'.", nameof(mode)),
        };
        int lowerIndex = GetLinkIndex(lowerDevice);
        byte[] macBytes = mac.GetAddressBytes();
        if (macBytes.Length != 6)
        {
            throw new ArgumentException("A macvlan needs a 6-byte Ethernet address.", nameof(mac));
        }

        Span<byte> buffer = stackalloc byte[256];
        uint seq = NextSequence();
        var w = new NetlinkMessageWriter(buffer, RTM_NEWLINK, NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, seq);
        w.WriteIfInfoMsg(AF_UNSPEC, 0, 0, 0);
        w.AddAttribute(IFLA_IFNAME, name);
        w.AddAttribute(IFLA_LINK, (uint)lowerIndex);
        w.AddAttribute(IFLA_ADDRESS, macBytes);
        int linkInfo = w.BeginNested(IFLA_LINKINFO);
        w.AddAttribute(IFLA_INFO_KIND, "macvlan");
        int infoData = w.BeginNested(IFLA_INFO_DATA);
        w.AddAttribute(IFLA_MACVLAN_MODE, macvlanMode);
        w.EndAttribute(infoData);
        w.EndAttribute(linkInfo);
        int errno = Execute(w.Finish(), seq, null, out string? kernelMessage);
        if (errno != 0)
        {
            throw new NetlinkException($"RTM_NEWLINK macvlan {name} on {lowerDevice}", errno, kernelMessage);
        }
    }

    /// <summary>Deletes the link <paramref name="name"/>.</summary>
    /// <returns>true if deleted, false if there was no such link (ENODEV).</returns>
    public bool DeleteLink(string name)
    {
        ValidateName(name);
        Span<byte> buffer = stackalloc byte[64];
        uint seq = NextSequence();
        var w = new NetlinkMessageWriter(buffer, RTM_DELLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
        w.WriteIfInfoMsg(AF_UNSPEC, 0, 0, 0);
        w.AddAttribute(IFLA_IFNAME, name);
        int errno = Execute(w.Finish(), seq, null, out string? kernelMessage);
        return errno switch
        {
            0 => true,
            ErrnoENODEV => false,
            _ => throw new NetlinkException($"RTM_DELLINK {name}", errno, kernelMessage),
        };
    }

    /// <summary>Sets or clears IFF_UP on the link (like "ip link set NAME up|down").</summary>
    public void SetLinkUp(string name, bool up)
    {
        ValidateName(name);
        Span<byte> buffer = stackalloc byte[64];
        uint seq = NextSequence();
        var w = new NetlinkMessageWriter(buffer, RTM_SETLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
        w.WriteIfInfoMsg(AF_UNSPEC, 0, up ? (uint)LinkFlags.Up : 0u, (uint)LinkFlags.Up);
        w.AddAttribute(IFLA_IFNAME, name);
        int errno = Execute(w.Finish(), seq, null, out string? kernelMessage);
        if (errno != 0)
        {
            throw new NetlinkException($"RTM_SETLINK {name} {(up ? "up" : "down")}", errno, kernelMessage);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            _channel.Dispose();
        }
    }

    internal static bool TryParseLink(ReadOnlySpan<byte> payload, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LinkInfo? link)
    {
        link = null;
        if (payload.Length < IfInfoMsgLength)
        {
            return false;
        }

        int index = MemoryMarshal.Read<int>(payload[4..]);
        uint flags = MemoryMarshal.Read<uint>(payload[8..]);
        string name = string.Empty;
        PhysicalAddress mac = PhysicalAddress.None;
        int mtu = 0, parent = 0, master = 0;
        string? kind = null;
        var attrs = new NetlinkAttributeReader(payload[IfInfoMsgLength..]);
        while (attrs.TryRead(out ushort type, out ReadOnlySpan<byte> value))
        {
            switch (type)
            {
                case IFLA_IFNAME:
                    name = NetlinkAttributeReader.ReadString(value);
                    break;
                case IFLA_ADDRESS:
                    mac = new PhysicalAddress(value.ToArray());
                    break;
                case IFLA_MTU:
                    mtu = (int)NetlinkAttributeReader.ReadUInt32(value);
                    break;
                case IFLA_LINK:
                    parent = (int)NetlinkAttributeReader.ReadUInt32(value);
                    break;
                case IFLA_MASTER:
                    master = (int)NetlinkAttributeReader.ReadUInt32(value);
                    break;
                case IFLA_LINKINFO:
                    var info = new NetlinkAttributeReader(value);
                    while (info.TryRead(out ushort infoType, out ReadOnlySpan<byte> infoValue))
                    {
                        if (infoType == IFLA_INFO_KIND)
                        {
                            kind = NetlinkAttributeReader.ReadString(infoValue);
                        }
                    }

                    break;
                default:
                    break;
            }
        }

        link = new LinkInfo(index, name, mac, (LinkFlags)flags, mtu, kind, parent, master);
        return true;
    }

    private static bool TryParseAddress(ReadOnlySpan<byte> payload, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LinkAddress? address)
    {
        address = null;
        if (payload.Length < IfAddrMsgLength)
        {
            return false;
        }

        byte family = payload[0];
        byte prefix = payload[1];
        uint flags = payload[2];
        int index = MemoryMarshal.Read<int>(payload[4..]);
        ReadOnlySpan<byte> local = default, addr = default;
        var attrs = new NetlinkAttributeReader(payload[IfAddrMsgLength..]);
        while (attrs.TryRead(out ushort type, out ReadOnlySpan<byte> value))
        {
            switch (type)
            {
                case IFA_LOCAL:
                    local = value;
                    break;
                case IFA_ADDRESS:
                    addr = value;
                    break;
                case IFA_FLAGS:
                    flags = NetlinkAttributeReader.ReadUInt32(value);
                    break;
                default:
                    break;
            }
        }

        // IPv4: IFA_LOCAL is our address (IFA_ADDRESS is the peer on point-to-point links).
        ReadOnlySpan<byte> raw = family == AF_INET && !local.IsEmpty ? local : addr;
        int expected = family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
        if (expected == 0 || raw.Length != expected)
        {
            return false;
        }

        var ip = new IPAddress(raw);
        if (ip.IsIPv6LinkLocal)
        {
            ip.ScopeId = index;
        }

        address = new LinkAddress(ip, prefix, index, flags);
        return true;
    }

    private static void ValidateName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (name.Length > 15)
        {
            throw new ArgumentException($"Interface name '{name}' is longer than 15 characters.", nameof(name));
        }
    }

    private NetlinkMessageWriter BuildAddressRequest(
        Span<byte> buffer, ushort type, ushort extraFlags, int ifIndex, IPAddress address, int prefixLength, out uint seq)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(ifIndex);
        ArgumentNullException.ThrowIfNull(address);
        bool v4 = address.AddressFamily == AddressFamily.InterNetwork;
        if (!v4 && address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException("Only IPv4 and IPv6 addresses are supported.", nameof(address));
        }

        int max = v4 ? 32 : 128;
        ArgumentOutOfRangeException.ThrowIfNegative(prefixLength);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(prefixLength, max);

        Span<byte> raw = stackalloc byte[16];
        _ = address.TryWriteBytes(raw, out int length);
        raw = raw[..length];

        seq = NextSequence();
        var w = new NetlinkMessageWriter(buffer, type, (ushort)(NLM_F_REQUEST | NLM_F_ACK | extraFlags), seq);
        byte scope = v4 && raw[0] == 127 ? (byte)254 /* RT_SCOPE_HOST */ : (byte)0 /* RT_SCOPE_UNIVERSE */;
        w.WriteIfAddrMsg(v4 ? AF_INET : AF_INET6, (byte)prefixLength, v4 ? (byte)0 : IFA_F_NODAD, scope, ifIndex);
        if (v4)
        {
            w.AddAttribute(IFA_LOCAL, raw);
        }

        w.AddAttribute(IFA_ADDRESS, raw);
        return w;
    }

    private LinkInfo? QueryLink(string? name, int ifIndex)
    {
        Span<byte> buffer = stackalloc byte[64];
        uint seq = NextSequence();
        var w = new NetlinkMessageWriter(buffer, RTM_GETLINK, NLM_F_REQUEST | NLM_F_ACK, seq);
        w.WriteIfInfoMsg(AF_UNSPEC, ifIndex, 0, 0);
        if (name is not null)
        {
            w.AddAttribute(IFLA_IFNAME, name);
        }

        LinkInfo? found = null;
        int errno = Execute(w.Finish(), seq, m =>
        {
            if (m.Type == RTM_NEWLINK && TryParseLink(m.Payload, out LinkInfo? link))
            {
                found = link;
            }
        }, out string? kernelMessage);
        return errno switch
        {
            0 => found,
            ErrnoENODEV => null,
            _ => throw new NetlinkException($"RTM_GETLINK {name ?? ifIndex.ToString(System.Globalization.CultureInfo.InvariantCulture)}", errno, kernelMessage),
        };
    }

    private delegate int DumpRequestBuilder(Span<byte> buffer, uint sequence);

    /// <summary>Runs a dump; restarts it when the kernel flags it as interrupted (NLM_F_DUMP_INTR).</summary>
    private void Dump<T>(string operation, List<T> result, DumpRequestBuilder build, NetlinkReplyHandler onMessage)
    {
        Span<byte> buffer = stackalloc byte[64];
        for (int attempt = 1; ; attempt++)
        {
            result.Clear();
            uint seq = NextSequence();
            int length = build(buffer, seq);
            bool interrupted = false;
            int errno = Execute(buffer[..length], seq, m =>
            {
                if ((m.Flags & NLM_F_DUMP_INTR) != 0)
                {
                    interrupted = true;
                }

                onMessage(m);
            }, out string? kernelMessage);
            if (errno != 0)
            {
                throw new NetlinkException(operation, errno, kernelMessage);
            }

            if (!interrupted || attempt >= MaxDumpAttempts)
            {
                return;
            }
        }
    }

    private uint NextSequence() => Interlocked.Increment(ref _sequence);

    /// <summary>
    /// Sends one request and reads replies until its ACK/error (or DONE for dumps).
    /// Returns 0 or the positive errno the kernel reported.
    /// </summary>
    private int Execute(ReadOnlySpan<byte> request, uint seq, NetlinkReplyHandler? onMessage, out string? kernelMessage)
    {
        kernelMessage = null;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _channel.Send(request);
            while (true)
            {
                int n = _channel.Receive(_receiveBuffer);
                if (n < 0)
                {
                    int errno = -n;
                    throw errno == LibC.EAGAIN
                        ? new NetlinkException("waiting for the kernel's netlink reply", ErrnoETIMEDOUT)
                        : new NetlinkException("recv(netlink)", errno);
                }

                var reader = new NetlinkMessageReader(_receiveBuffer.AsSpan(0, n));
                while (reader.TryRead(out NetlinkMessage m))
                {
                    if (m.Sequence != seq)
                    {
                        continue; // a stale reply of an earlier, timed-out request
                    }

                    switch (m.Type)
                    {
                        case NLMSG_ERROR:
                            int error = m.Payload.Length >= 4 ? MemoryMarshal.Read<int>(m.Payload) : -LibC.EAGAIN;
                            if (error != 0)
                            {
                                kernelMessage = ReadExtendedAck(m);
                            }

                            return -error;
                        case NLMSG_DONE:
                            int status = m.Payload.Length >= 4 ? MemoryMarshal.Read<int>(m.Payload) : 0;
                            return status < 0 ? -status : 0;
                        case NLMSG_NOOP:
                            break;
                        default:
                            onMessage?.Invoke(m);
                            break;
                    }
                }
            }
        }
    }

    /// <summary>The NLMSGERR_ATTR_MSG text of an error reply, if the kernel sent one.</summary>
    private static string? ReadExtendedAck(NetlinkMessage m)
    {
        if ((m.Flags & NLM_F_ACK_TLVS) == 0 || m.Payload.Length < 4 + HeaderLength)
        {
            return null;
        }

        int offset = 4 + HeaderLength;
        if ((m.Flags & NLM_F_CAPPED) == 0)
        {
            uint originalLength = MemoryMarshal.Read<uint>(m.Payload[4..]);
            offset = 4 + Align((int)originalLength);
        }

        if (offset >= m.Payload.Length)
        {
            return null;
        }

        var attrs = new NetlinkAttributeReader(m.Payload[offset..]);
        while (attrs.TryRead(out ushort type, out ReadOnlySpan<byte> value))
        {
            if (type == NLMSGERR_ATTR_MSG)
            {
                return NetlinkAttributeReader.ReadString(value);
            }
        }

        return null;
    }
}
