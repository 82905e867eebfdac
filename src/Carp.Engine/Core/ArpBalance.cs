using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Carp.Engine.Core;

/// <summary>
/// Which vhid of an ARP-balancing set answers an ARP request (docs/protocol.md#arp-balancing): the BSD rule of FreeBSD 7–9's
/// <c>carp_iamatch</c>, so that CarpPS and BSD hosts of one set agree. Pure.
/// </summary>
public static class ArpBalance
{
    /// <summary>The requester's IPv4 address as a number in host order (FreeBSD's <c>ntohl</c>): 192.0.2.7 is 0xC0000207.</summary>
    public static uint SenderKey(IPAddress sender)
    {
        ArgumentNullException.ThrowIfNull(sender);
        if (sender.AddressFamily != AddressFamily.InterNetwork)
        {
            throw new ArgumentException("ARP balancing hashes an IPv4 sender address.", nameof(sender));
        }

        Span<byte> bytes = stackalloc byte[4];
        sender.TryWriteBytes(bytes, out _);
        return BinaryPrimitives.ReadUInt32BigEndian(bytes);
    }

    /// <summary>The position, among <paramref name="running"/> vhids in vhid order, of the one that answers <paramref name="sender"/>.</summary>
    public static int Index(IPAddress sender, int running)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(running, 1);
        return (int)(SenderKey(sender) % (uint)running);
    }

    /// <summary>
    /// The vhid that answers a request from <paramref name="sender"/>, given the vhids of the set that run (UP and RUNNING
    /// in BSD terms: every state but INIT); null when none runs.
    /// </summary>
    public static byte? Select(IEnumerable<byte> runningVhids, IPAddress sender)
    {
        var ordered = runningVhids.Order().ToArray();
        return ordered.Length == 0 ? null : ordered[Index(sender, ordered.Length)];
    }

    /// <summary>Every virtual host on <paramref name="device"/> that carries the IPv4 <paramref name="address"/>, in vhid order.</summary>
    internal static List<VirtualHost> Members(CarpDevice device, IPAddress address)
    {
        var members = new List<VirtualHost>();
        for (var vhid = 1; vhid <= 255; vhid++)
        {
            if (device[(byte)vhid] is { } host && Carries(host, address))
            {
                members.Add(host);
            }
        }

        return members;
    }

    /// <summary>The member that answers <paramref name="sender"/>: counted and walked over the running members only.</summary>
    internal static VirtualHost? Selected(List<VirtualHost> members, IPAddress sender)
    {
        var running = members.Count(m => m.State != CarpState.Init);
        if (running == 0)
        {
            return null;
        }

        var index = Index(sender, running);
        foreach (var member in members)
        {
            if (member.State != CarpState.Init && index-- == 0)
            {
                return member;
            }
        }

        return null;
    }

    internal static bool Carries(VirtualHost host, IPAddress address)
    {
        foreach (var a in host.Config.Addresses)
        {
            if (!a.IsIPv6 && a.Address.Equals(address))
            {
                return true;
            }
        }

        return false;
    }
}
