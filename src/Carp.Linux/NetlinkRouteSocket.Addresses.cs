using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using static Carp.Linux.NetlinkConstants;

namespace Carp.Linux;

// Address changes and queries (RTM_NEWADDR, RTM_DELADDR, RTM_GETADDR).
public sealed partial class NetlinkRouteSocket
{
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

    internal static bool TryParseAddress(ReadOnlySpan<byte> payload, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out LinkAddress? address)
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

    /// <param name="ack">Ask for an ACK on success (errors are always reported); a batch asks only at its end.</param>
    private NetlinkMessageWriter BuildAddressRequest(
        Span<byte> buffer, ushort type, ushort extraFlags, int ifIndex, IPAddress address, int prefixLength, out uint seq, bool ack = true)
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
        var w = new NetlinkMessageWriter(buffer, type, (ushort)(NLM_F_REQUEST | (ack ? NLM_F_ACK : 0) | extraFlags), seq);
        byte scope = v4 && raw[0] == 127 ? (byte)254 /* RT_SCOPE_HOST */ : (byte)0 /* RT_SCOPE_UNIVERSE */;
        w.WriteIfAddrMsg(v4 ? AF_INET : AF_INET6, (byte)prefixLength, v4 ? (byte)0 : IFA_F_NODAD, scope, ifIndex);
        if (v4)
        {
            w.AddAttribute(IFA_LOCAL, raw);
        }

        w.AddAttribute(IFA_ADDRESS, raw);
        return w;
    }
}
