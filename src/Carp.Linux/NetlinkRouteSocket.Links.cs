using System.Net.NetworkInformation;
using System.Runtime.InteropServices;
using static Carp.Linux.NetlinkConstants;

namespace Carp.Linux;

// Link queries (RTM_GETLINK) and link changes (RTM_SETLINK, RTM_DELLINK).
public sealed partial class NetlinkRouteSocket
{
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
}
