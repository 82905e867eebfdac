using System.Net;
using System.Net.NetworkInformation;
using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// ARP balancing (docs/protocol.md#arp-balancing): with the <c>arpbalance</c> sysctl on, several vhids of one carpdev that
/// carry the same IPv4 address form a set; an ARP request for it is answered only by the MASTER of the vhid the
/// requester's address selects (<see cref="ArpBalance"/>), with that vhid's virtual MAC, and the wire keeps the kernel's
/// own answer away (<see cref="ICarpOutput.ArpBalanceChanged"/>). Requesters are remembered per set, so that after a
/// broadcast gratuitous ARP (ours on a takeover, or another host's) each master sends its own requesters a unicast one
/// that puts them back on the vhid their address selects.
/// </summary>
public sealed partial class CarpNode
{
    /// <summary>Requesters remembered per balanced address of a carpdev; beyond this many, new ones are not remembered.</summary>
    public const int MaxArpBalanceClients = 1024;

    private readonly Dictionary<(string Device, IPAddress Address), Dictionary<IPAddress, PhysicalAddress>> _arpClients = [];
    private readonly Dictionary<string, IPAddress[]> _arpBalanced = new(StringComparer.Ordinal);
    private readonly Dictionary<(string Device, IPAddress Address), (PhysicalAddress Announced, long Since)> _pendingCorrections = [];
    private readonly Dictionary<(string Device, IPAddress Address), long> _heardCorrections = [];

    /// <summary>How long after a broadcast announcement its corrections are repeated at the earliest: at the next advert after it.</summary>
    private const long CorrectionRepeatMicroseconds = 100_000;

    /// <summary>
    /// The vhids on <paramref name="host"/>'s carpdev that share one of its IPv4 addresses with it, itself included, in vhid
    /// order; empty when it shares none (whether or not <c>arpbalance</c> is on).
    /// </summary>
    public IReadOnlyList<byte> BalancingSetOf(VirtualHost host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (!ReferenceEquals(Find(host.Name), host))
        {
            return []; // removed
        }

        var vhids = new SortedSet<byte>();
        foreach (var address in host.Config.Addresses.Where(a => !a.IsIPv6))
        {
            var members = ArpBalance.Members(host.Device, address.Address);
            if (members.Count > 1)
            {
                vhids.UnionWith(members.Select(m => m.Vhid));
            }
        }

        return [.. vhids];
    }

    /// <summary>The addresses of <paramref name="device"/> that are ARP-balanced now: empty unless <c>arpbalance</c> is on.</summary>
    public IReadOnlyList<IPAddress> BalancedAddresses(CarpDevice device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (!Sysctls.ArpBalance)
        {
            return [];
        }

        return _hosts.Values.Where(h => ReferenceEquals(h.Device, device))
            .SelectMany(h => h.Config.Addresses).Where(a => !a.IsIPv6).Select(a => a.Address).Distinct()
            .Where(a => ArpBalance.Members(device, a).Count > 1)
            .OrderBy(a => ArpBalance.SenderKey(a)).ToArray();
    }

    /// <summary>
    /// Refuses what ARP balancing cannot do: a Real-MAC-mode virtual host in a set (every vhid of the host would answer with
    /// the one real MAC, and one host's gratuitous ARP would take every client). Checked when <c>arpbalance</c> is on or
    /// being switched on, for <paramref name="config"/> among the node's hosts (<paramref name="replacing"/> left out).
    /// </summary>
    private void CheckArpBalance(VirtualHostConfig config, string? replacing)
    {
        var device = FindDevice(config.CarpDev);
        if (device is null)
        {
            return;
        }

        foreach (var address in config.Addresses.Where(a => !a.IsIPv6))
        {
            var others = ArpBalance.Members(device, address.Address).Where(m => m.Name != replacing && m.Vhid != config.Vhid).ToArray();
            if (others.Length == 0)
            {
                continue;
            }

            var real = config.MacMode == MacMode.Real ? config.Name : others.FirstOrDefault(o => o.Config.MacMode == MacMode.Real)?.Name;
            if (real is not null)
            {
                throw CarpRefusals.ArpBalanceNeedsVirtualMac(real, address.Address);
            }
        }
    }

    private void CheckArpBalanceOnSwitchOn()
    {
        foreach (var host in _hosts.Values)
        {
            CheckArpBalance(host.Config, host.Name);
        }
    }

    /// <summary>Tells the output which addresses of each carpdev are balanced, when that changed.</summary>
    private void RefreshArpBalance()
    {
        foreach (var device in _devices.Values)
        {
            var balanced = BalancedAddresses(device).ToArray();
            var known = _arpBalanced.GetValueOrDefault(device.Name) ?? [];
            if (!balanced.SequenceEqual(known))
            {
                _arpBalanced[device.Name] = balanced;
                Output.ArpBalanceChanged(device.Name, balanced);
            }
        }

        foreach (var key in _arpClients.Keys.Where(k => !_arpBalanced.TryGetValue(k.Device, out var b) || !b.Contains(k.Address)).ToArray())
        {
            _arpClients.Remove(key);
            _pendingCorrections.Remove(key);
            _heardCorrections.Remove(key);
        }
    }

    /// <summary>A captured ARP frame: answered, remembered, or a reason to put our requesters back (docs/protocol.md#arp-balancing).</summary>
    private void ReceiveArp(CarpDevice device, ReadOnlySpan<byte> frame)
    {
        if (!Sysctls.ArpBalance || !ArpFrame.TryRead(frame, out var arp))
        {
            return;
        }

        if (arp.IsGratuitous)
        {
            // Somebody announced a member's address with a MAC: every neighbour follows it, so our requesters go back.
            var members = ArpBalance.Members(device, arp.SenderIp);
            if (members.Count > 1)
            {
                Correct(device, arp.SenderIp, members, arp.SenderMac, heard: true);
            }

            return;
        }

        if (arp.Operation != ArpFrame.Request)
        {
            return;
        }

        var set = ArpBalance.Members(device, arp.TargetIp);
        if (set.Count < 2)
        {
            return;
        }

        if (!arp.SenderIp.Equals(IPAddress.Any))
        {
            Remember(device, arp.TargetIp, arp.SenderIp, arp.SenderMac);
        }

        if (ArpBalance.Selected(set, arp.SenderIp) is { State: CarpState.Master } answering)
        {
            Output.SendArp(answering, ArpFrame.BuildReply(CarpMac.Virtual(answering.Vhid), arp.TargetIp, arp.SenderMac, arp.SenderIp));
        }
    }

    /// <summary>Every announcement of a virtual host goes through here: after it, the requesters of its sets that other vhids of ours answer go back to those.</summary>
    internal void Announce(VirtualHost host)
    {
        Output.Announce(host);
        host.CountAnnouncement();
        if (!Sysctls.ArpBalance)
        {
            return;
        }

        foreach (var address in host.Config.Addresses.Where(a => !a.IsIPv6))
        {
            var members = ArpBalance.Members(host.Device, address.Address);
            if (members.Count > 1)
            {
                Correct(host.Device, address.Address, members, CarpMac.Virtual(host.Vhid), heard: false);
            }
        }
    }

    /// <summary>
    /// The corrections after a broadcast announcement leave at once and once more with the next advert of a master of the
    /// set: a neighbour may get the broadcast after the unicast that follows it (Linux macvlans, for one, deliver
    /// broadcasts from a work queue), and then only the repetition puts it back.
    /// </summary>
    private void Correct(CarpDevice device, IPAddress address, List<VirtualHost> members, PhysicalAddress announced, bool heard)
    {
        var key = (device.Name, address);
        if (heard)
        {
            // A burst of announcements heard (or forged ones) costs one round of unicasts per address per 100 ms, not one per frame.
            if (_heardCorrections.TryGetValue(key, out var last) && Now - last < ToTimestamp(CorrectionRepeatMicroseconds))
            {
                _pendingCorrections[key] = (announced, last);
                return;
            }

            _heardCorrections[key] = Now;
        }

        RestoreRequesters(device, address, members, announced);
        _pendingCorrections[key] = (announced, Now);
    }

    /// <summary>A MASTER sent its periodic advert: the corrections still pending for its sets are repeated.</summary>
    internal void ArpBalanceAdvertSent(VirtualHost host)
    {
        if (_pendingCorrections.Count == 0 || !Sysctls.ArpBalance)
        {
            return;
        }

        foreach (var address in host.Config.Addresses.Where(a => !a.IsIPv6))
        {
            var key = (host.Device.Name, address.Address);
            if (_pendingCorrections.TryGetValue(key, out var pending) && Now - pending.Since >= ToTimestamp(CorrectionRepeatMicroseconds))
            {
                _pendingCorrections.Remove(key);
                var members = ArpBalance.Members(host.Device, address.Address);
                if (members.Count > 1)
                {
                    RestoreRequesters(host.Device, address.Address, members, pending.Announced);
                }
            }
        }
    }

    /// <summary>
    /// A broadcast announcement of <paramref name="address"/> with <paramref name="announced"/> moved every neighbour: each
    /// remembered requester whose address selects another vhid we are MASTER of gets a unicast gratuitous ARP with that
    /// vhid's virtual MAC.
    /// </summary>
    private void RestoreRequesters(CarpDevice device, IPAddress address, List<VirtualHost> members, PhysicalAddress announced)
    {
        if (!_arpClients.TryGetValue((device.Name, address), out var clients))
        {
            return;
        }

        foreach (var (ip, mac) in clients)
        {
            if (ArpBalance.Selected(members, ip) is { State: CarpState.Master } answering)
            {
                var own = CarpMac.Virtual(answering.Vhid);
                if (!own.Equals(announced))
                {
                    Output.SendArp(answering, ArpFrame.BuildUnicastGratuitous(own, address, mac));
                }
            }
        }
    }

    private void Remember(CarpDevice device, IPAddress address, IPAddress client, PhysicalAddress mac)
    {
        if (!_arpClients.TryGetValue((device.Name, address), out var clients))
        {
            clients = [];
            _arpClients.Add((device.Name, address), clients);
        }

        if (clients.Count < MaxArpBalanceClients || clients.ContainsKey(client))
        {
            clients[client] = mac;
        }
    }
}
