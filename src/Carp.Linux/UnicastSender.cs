using System.Net;
using System.Runtime.InteropServices;

namespace Carp.Linux;

/// <summary>
/// Sends adverts to a unicast peer (docs/protocol.md#unicast-on-linux) through two raw IP sockets of protocol 112 on one
/// carpdev, one per family, with the IP header included (IP_HDRINCL, IPV6_HDRINCL): the engine's prebuilt frame minus its
/// Ethernet header goes out byte for byte (TTL / hop limit 255, DF, identification, traffic class), while the kernel
/// routes it and resolves the next hop's MAC (ARP, neighbour discovery), so a peer behind a router works too and a peer's
/// new MAC is followed. SO_BINDTODEVICE keeps it on the carpdev. The sockets also stand for a protocol-112 listener on the
/// carpdev: a unicast advert addressed to us is then not answered with ICMP "protocol unreachable" (the engine reads it
/// from its capture); a filter that accepts nothing keeps their receive queues empty. Nothing is allocated per send.
/// One thread at a time (the engine's loop).
/// </summary>
internal sealed unsafe class UnicastSender : IDisposable
{
    private const int EthernetHeaderLength = 14;
    private const int MaxPacketLength = 128;

    private readonly int _ifIndex;
    private readonly string _ifName;
    private int _v4 = -1;
    private int _v6 = -1;
    private readonly string? _openError;
    private readonly byte[] _globalV6 = new byte[16];
    private bool _hasGlobalV6;

    public UnicastSender(string ifName, int ifIndex)
    {
        _ifName = ifName;
        _ifIndex = ifIndex;
        try
        {
            _v4 = Open(LibC.AF_INET, LibC.IPPROTO_IP, LibC.IP_HDRINCL, ifName);
            _v6 = Open(LibC.AF_INET6, LibC.IPPROTO_IPV6, LibC.IPV6_HDRINCL, ifName);
        }
        catch (IOException ex)
        {
            _openError = ex.Message;
        }
    }

    /// <summary>Why the raw sockets could not be opened (then unicast adverts cannot be sent), or null.</summary>
    public string? OpenError => _openError;

    /// <summary>Unicast adverts sent.</summary>
    public long Sent { get; private set; }

    /// <summary>
    /// The carpdev's global IPv6 address that adverts to a peer beyond the link leave from (a link-local source cannot be
    /// routed): set from the carpdev's addresses, null when it has none.
    /// </summary>
    public void SetGlobalSource(IPAddress? address)
    {
        _hasGlobalV6 = address is not null && address.TryWriteBytes(_globalV6, out _);
    }

    /// <summary>Whether <paramref name="frame"/> is an advert (IP protocol 112) to a unicast IP destination.</summary>
    public static bool IsUnicastAdvert(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < EthernetHeaderLength + 40)
        {
            return false;
        }

        var ip = frame[EthernetHeaderLength..];
        return (frame[12], frame[13]) switch
        {
            (0x08, 0x00) => ip[9] == LibC.IPPROTO_CARP && (ip[16] & 0xF0) != 0xE0,
            (0x86, 0xDD) => ip[6] == LibC.IPPROTO_CARP && ip[24] != 0xFF,
            _ => false,
        };
    }

    /// <summary>Sends the IP packet of <paramref name="frame"/> (an advert, <see cref="IsUnicastAdvert"/>) to its IP destination.</summary>
    /// <exception cref="IOException">The raw socket is missing or the kernel refused the packet (errno named).</exception>
    public void Send(ReadOnlySpan<byte> frame)
    {
        var packet = frame[EthernetHeaderLength..];
        if (packet.Length > MaxPacketLength)
        {
            throw new IOException($"a {packet.Length}-byte advert is too long for the unicast path");
        }

        nint result;
        if (frame[12] == 0x08)
        {
            Require(_v4);
            var address = new LibC.SockAddrIn { Family = LibC.AF_INET };
            packet.Slice(16, 4).CopyTo(new Span<byte>(address.Address, 4));
            fixed (byte* p = packet)
            {
                result = LibC.SendTo(_v4, p, (nuint)packet.Length, 0, &address, (uint)sizeof(LibC.SockAddrIn));
            }
        }
        else
        {
            Require(_v6);
            var destination = packet.Slice(24, 16);
            bool linkLocal = destination[0] == 0xFE && (destination[1] & 0xC0) == 0x80;
            var address = new LibC.SockAddrIn6 { Family = LibC.AF_INET6, ScopeId = linkLocal ? (uint)_ifIndex : 0 };
            destination.CopyTo(new Span<byte>(address.Address, 16));
            Span<byte> copy = stackalloc byte[MaxPacketLength];
            packet.CopyTo(copy);
            copy = copy[..packet.Length];
            var source = copy.Slice(8, 16);
            if (!linkLocal && source[0] == 0xFE && (source[1] & 0xC0) == 0x80 && _hasGlobalV6)
            {
                // The engine's IPv6 source is the carpdev's link-local address; a router would drop it on the way to a global peer.
                _globalV6.CopyTo(source);
            }

            fixed (byte* p = copy)
            {
                result = LibC.SendTo(_v6, p, (nuint)copy.Length, 0, &address, (uint)sizeof(LibC.SockAddrIn6));
            }
        }

        if (result < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new IOException($"sendto on {_ifName} failed: {Errno.Describe(errno)}", errno);
        }

        Sent++;
    }

    private void Require(int socket)
    {
        if (socket < 0)
        {
            throw new IOException($"no raw IP socket on {_ifName} for unicast adverts: {_openError ?? "closed"}");
        }
    }

    private static int Open(int family, int level, int headerIncluded, string ifName)
    {
        int fd = LibC.Socket(family, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, LibC.IPPROTO_CARP);
        if (fd < 0)
        {
            throw LibC.LastError($"socket({(family == LibC.AF_INET ? "AF_INET" : "AF_INET6")}, SOCK_RAW, 112)");
        }

        try
        {
            int one = 1;
            Check(LibC.SetSockOpt(fd, level, headerIncluded, &one, sizeof(int)), "setsockopt(HDRINCL)");
            var name = System.Text.Encoding.ASCII.GetBytes(ifName + "\0");
            fixed (byte* n = name)
            {
                Check(LibC.SetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_BINDTODEVICE, n, (uint)name.Length), "setsockopt(SO_BINDTODEVICE)");
            }

            // Accept nothing: the capture reads adverts; this socket only has to exist.
            var reject = new LibC.SockFilter { Code = 0x06 /* BPF_RET | BPF_K */, K = 0 };
            var program = new LibC.SockFprog { Length = 1, Filter = &reject };
            Check(LibC.SetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_ATTACH_FILTER, &program, (uint)sizeof(LibC.SockFprog)), "setsockopt(SO_ATTACH_FILTER)");
            return fd;
        }
        catch
        {
            _ = LibC.Close(fd);
            throw;
        }
    }

    private static void Check(int result, string what)
    {
        if (result < 0)
        {
            throw LibC.LastError(what);
        }
    }

    public void Dispose()
    {
        if (_v4 >= 0)
        {
            _ = LibC.Close(_v4);
            _v4 = -1;
        }

        if (_v6 >= 0)
        {
            _ = LibC.Close(_v6);
            _v6 = -1;
        }
    }
}
