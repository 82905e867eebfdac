using Carp.Engine.Core;

namespace Carp.Engine.Hosting;

/// <summary>
/// Where a <see cref="CarpService"/> meets the network: the real Linux wire (pcap + netlink) or an
/// in-memory hub. Called only from the engine's loop thread, except <see cref="LinkChanged"/>,
/// <see cref="AddressesChanged"/> and frame callbacks, which may arrive on any thread.
/// </summary>
public interface ICarpWire : IDisposable
{
    /// <summary>Opens a carpdev for capture and injection; throws <see cref="CarpException"/> (UnknownCarpDev, NotPermitted, LibpcapMissing).
    /// Each captured frame goes to <paramref name="onFrame"/> with its arrival time.</summary>
    IWirePort OpenPort(string carpDev, FrameHandler onFrame);

    /// <summary>Creates what a virtual host needs before it runs (the macvlan carpN with the virtual MAC in Virtual mode).</summary>
    void PrepareInterface(VirtualHostConfig config);

    /// <summary>Removes what <see cref="PrepareInterface"/> created, and any of its addresses.</summary>
    void ReleaseInterface(VirtualHostConfig config);

    /// <summary>
    /// A virtual host's address list changed in place (same vhid, carpdev and MAC mode), after the core moved the host's
    /// addresses on the link: what <see cref="PrepareInterface"/> learnt of <paramref name="old"/>'s addresses now follows
    /// <paramref name="config"/>'s.
    /// </summary>
    void AddressesReconfigured(VirtualHostConfig old, VirtualHostConfig config)
    {
    }

    /// <summary>Adds or removes virtual addresses (on carpN in Virtual mode, on the carpdev in Real mode).</summary>
    void SetAddresses(VirtualHostConfig config, IReadOnlyList<CarpAddress> addresses, bool present);

    /// <summary>
    /// A timer pass begins (docs/ARCHITECTURE.md#address-batches): until <see cref="FlushAddressBatch"/> the wire may hold
    /// back the addresses that <see cref="SetAddresses"/> is asked to add and add them together at the flush, or start adding
    /// them on a thread of its own while the pass goes on (the core then hands them over before the pass's adverts leave:
    /// <see cref="ICarpOutput.HoldsAddresses"/>). True when it does; false (the default) when it adds them at once.
    /// </summary>
    bool BeginAddressBatch() => false;

    /// <summary>
    /// Adds what was held back since <see cref="BeginAddressBatch"/> and ends the batch; calls <paramref name="failed"/> once
    /// per address that could not be added, with the virtual host's configuration and why. While the wire waits for
    /// addresses being added on a thread of its own, <paramref name="added"/> hears (on the calling thread), each time more
    /// are in, of the last virtual host whose addresses are all in: it and every host whose addresses were held before it
    /// are added, so that the caller can announce them meanwhile; the rest it takes as added when this returns.
    /// </summary>
    void FlushAddressBatch(Action<VirtualHostConfig, string> failed, Action<VirtualHostConfig>? added = null)
    {
    }

    /// <summary>
    /// The IPv4 addresses of <paramref name="carpDev"/> that are ARP-balanced (docs/protocol.md#arp-balancing): the host must
    /// not answer ARP requests for them itself (the engine does), and nothing of that may outlive the engine. Empty: none.
    /// </summary>
    void SetArpBalanced(string carpDev, IReadOnlyList<System.Net.IPAddress> addresses)
    {
    }

    /// <summary>
    /// The addresses whose packets the host must drop for the virtual host <paramref name="key"/> (its carpdev/vhid): VRRP
    /// Accept_Mode off while MASTER (docs/protocol.md#vrrp-accept-mode); ARP and neighbour discovery for them stay. Nothing of
    /// that may outlive the engine. Empty: none.
    /// </summary>
    void SetAcceptRefused(string key, IReadOnlyList<System.Net.IPAddress> addresses)
    {
    }

    /// <summary>Raised with (carpdev, isUp) when a carpdev's link changes.</summary>
    event Action<string, bool>? LinkChanged;

    /// <summary>Raised with a carpdev whose own addresses changed, or with null when any carpdev's may have.</summary>
    event Action<string?>? AddressesChanged;

    /// <summary>
    /// Called by the engine's loop thread first thing on every turn. True when the engine was silent for so long that the
    /// wire took the virtual addresses away (the Linux wire's address guardian does so before a peer's master-down timer
    /// can fire); the engine then steps its masters down.
    /// </summary>
    bool AddressesRevoked() => false;

    /// <summary>
    /// Called by the engine's loop thread after a timer pass that sent adverts: the engine's proof of life, taken from the
    /// same moment a peer's master-down timer counts from (docs/ARCHITECTURE.md#address-guardian).
    /// </summary>
    void Advertised()
    {
    }
}
