using System.Net.Sockets;

namespace Carp.Engine.Core;

/// <summary>
/// What the protocol core asks the world to do. The core never performs I/O itself: the simulator
/// and the real wire implement this sink, so both run exactly the same protocol code.
/// Called on the engine's thread; implementations must not call back into the node.
/// </summary>
public interface ICarpOutput
{
    /// <summary>
    /// Send this 36-byte CARP header as an advert of <paramref name="family"/>; false if the send failed. Between
    /// <see cref="BeginAdvertBatch"/> and <see cref="FlushAdvertisements"/> the output may queue it instead and return
    /// true; its outcome is then reported by <see cref="FlushAdvertisements"/>.
    /// </summary>
    bool SendAdvertisement(VirtualHost host, AddressFamily family, ReadOnlySpan<byte> carpHeader);

    /// <summary>
    /// A yielding MASTER's last advert (docs/protocol.md#split-brain-heal), sent to <paramref name="destinationMac"/> alone: the
    /// Ethernet source of the advert it yields to. True if sent, false if the send failed, null if this output cannot address
    /// a frame to one MAC (then nothing is sent and nothing counted).
    /// </summary>
    bool? SendAdvertisementTo(VirtualHost host, AddressFamily family, ReadOnlySpan<byte> payload, ReadOnlySpan<byte> destinationMac) => null;

    /// <summary>
    /// A timer pass begins whose periodic adverts may be queued and sent together (docs/protocol.md#advert-coalescing).
    /// True when this output queues them until <see cref="FlushAdvertisements"/>; false (the default) when it sends each at once.
    /// </summary>
    bool BeginAdvertBatch() => false;

    /// <summary>
    /// Sends what was queued since <see cref="BeginAdvertBatch"/> returned true and ends the batch: <paramref name="sent"/>
    /// has one element per advert queued (each <see cref="SendAdvertisement"/> that returned true), in that order, and
    /// receives whether it went out.
    /// </summary>
    void FlushAdvertisements(Span<bool> sent)
    {
    }

    /// <summary>
    /// True while this output holds back the addresses it is told to make present, to add them in batches of its own
    /// while the pass's adverts are signed and sent (a timer pass whose wire adds on a second thread:
    /// docs/ARCHITECTURE.md#address-batches). A takeover in a timer pass then hands its addresses over at once instead of
    /// after <see cref="FlushAdvertisements"/>. False (the default): they come after the flush.
    /// </summary>
    bool HoldsAddresses => false;

    /// <summary>Make <paramref name="addresses"/> present (MASTER) or absent (BACKUP/INIT) on this host.</summary>
    void SetAddresses(VirtualHost host, IReadOnlyList<CarpAddress> addresses, bool present);

    /// <summary>Gratuitous ARP per IPv4 address and unsolicited NA per IPv6 address of the host.</summary>
    void Announce(VirtualHost host);

    /// <summary>
    /// Send one ARP frame of ARP balancing (docs/protocol.md#arp-balancing) for <paramref name="host"/>: a reply to a request,
    /// or a unicast gratuitous ARP, built by the core from the host's virtual MAC. Outputs that carry no ARP ignore it.
    /// </summary>
    void SendArp(VirtualHost host, byte[] frame)
    {
    }

    /// <summary>
    /// The IPv4 addresses of <paramref name="carpDev"/> that are ARP-balanced changed (docs/protocol.md#arp-balancing): the
    /// host's own ARP replies for exactly these must be kept off the wire, the core answers them. Empty: none is.
    /// </summary>
    void ArpBalanceChanged(string carpDev, IReadOnlyList<System.Net.IPAddress> addresses)
    {
    }

    /// <summary>
    /// The virtual addresses of <paramref name="host"/> whose packets the host must drop changed (VRRP Accept_Mode off while
    /// MASTER, docs/protocol.md#vrrp-accept-mode): ARP and neighbour discovery for them still work, routing through the
    /// virtual MAC too, but packets addressed to them are not taken. Empty: none. Outputs without a kernel ignore it.
    /// </summary>
    void AcceptRefusedChanged(VirtualHost host, IReadOnlyList<System.Net.IPAddress> addresses)
    {
    }

    void StateChanged(VirtualHost host, CarpState oldState, CarpState newState, TransitionReason reason);

    /// <summary>What <paramref name="host"/> advertises changed: its advertised advskew or its demote count (docs/glossary.md).</summary>
    void DemotionChanged(VirtualHost host, byte oldAdvertisedAdvSkew, byte newAdvertisedAdvSkew, byte oldDemoteCount, byte newDemoteCount);

    /// <summary>Maintenance mode of <paramref name="host"/> was switched on or off (docs/protocol.md#maintenance).</summary>
    void MaintenanceChanged(VirtualHost host, bool maintenance);

    /// <summary>A received packet failed a check; only called when the <c>log</c> sysctl is 2 or more.</summary>
    void BadPacket(CarpStatistic counter, string carpDev, byte vhid, string detail);
}
