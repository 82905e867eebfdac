using System.Net.NetworkInformation;
using static Carp.Linux.NetlinkConstants;

namespace Carp.Linux;

// macvlan creation (RTM_NEWLINK with IFLA_INFO_KIND "macvlan").
public sealed partial class NetlinkRouteSocket
{
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
}
