using System.Net.Sockets;

namespace Carp.Engine.Core;

/// <summary>
/// What the protocol core asks the world to do. The core never performs I/O itself: the simulator
/// and the real wire implement this sink, so both run exactly the same protocol code.
/// Called on the engine's thread; implementations must not call back into the node.
/// </summary>
public interface ICarpOutput
{
    /// <summary>Send this 36-byte CARP header as an advert of <paramref name="family"/>; false if the send failed.</summary>
    bool SendAdvertisement(VirtualHost host, AddressFamily family, ReadOnlySpan<byte> carpHeader);

    /// <summary>Make <paramref name="addresses"/> present (MASTER) or absent (BACKUP/INIT) on this host.</summary>
    void SetAddresses(VirtualHost host, IReadOnlyList<CarpAddress> addresses, bool present);

    /// <summary>Gratuitous ARP per IPv4 address and unsolicited NA per IPv6 address of the host.</summary>
    void Announce(VirtualHost host);

    void StateChanged(VirtualHost host, CarpState oldState, CarpState newState, TransitionReason reason);

    /// <summary>What <paramref name="host"/> advertises changed: its advertised advskew or its demote count (docs/glossary.md).</summary>
    void DemotionChanged(VirtualHost host, byte oldAdvertisedAdvSkew, byte newAdvertisedAdvSkew, byte oldDemoteCount, byte newDemoteCount);

    /// <summary>Maintenance mode of <paramref name="host"/> was switched on or off (docs/protocol.md#maintenance).</summary>
    void MaintenanceChanged(VirtualHost host, bool maintenance);

    /// <summary>A received packet failed a check; only called when the <c>log</c> sysctl is 2 or more.</summary>
    void BadPacket(CarpStatistic counter, string carpDev, byte vhid, string detail);
}
