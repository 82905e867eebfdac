using System.Net;
using System.Net.Sockets;
using Carp.Engine.Core;

namespace CarpPS.Commands;

/// <summary>
/// <c>-Peer</c> of New-/Set-CarpInterface: at most one IPv4 and one IPv6 unicast peer (FreeBSD <c>peer</c> / <c>peer6</c>,
/// docs/protocol.md#unicast-peers), checked here so that a bad one is refused with advice about -Peer before anything changes.
/// </summary>
internal static class CarpPeers
{
    internal const string Advice =
        "Pass the other node's own address to -Peer, at most one IPv4 and one IPv6 address, e.g. -Peer 192.0.2.12 or -Peer 192.0.2.12, fe80::2; never a virtual address or a multicast group.";

    /// <summary>Parses <paramref name="text"/> into the IPv4 and IPv6 peer; the first problem is returned as a refusal.</summary>
    internal static CarpException? Parse(IReadOnlyList<string> text, out IPAddress? peer, out IPAddress? peer6)
    {
        peer = null;
        peer6 = null;
        foreach (var item in text)
        {
            if (item.Contains('/', StringComparison.Ordinal) || !IPAddress.TryParse(item, out var address))
            {
                return CarpErrors.Refusal(CarpErrorCode.InvalidAddress, $"-Peer '{item}' is not an IP address (a peer has no prefix length).", Advice);
            }

            ref var slot = ref address.AddressFamily == AddressFamily.InterNetwork ? ref peer : ref peer6;
            if (slot is not null)
            {
                return CarpErrors.Refusal(CarpErrorCode.InvalidAddress,
                    $"-Peer gives two {(slot.AddressFamily == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} peers ({slot}, {address}): a vhid has one peer per family.", Advice);
            }

            slot = address;
        }

        try
        {
            // The engine's own rules (a unicast address of the right family), with -Peer's advice.
            new VirtualHostConfig { Name = "carp0", Vhid = 1, CarpDev = "eth0", Peer = peer, Peer6 = peer6 }.Validate();
        }
        catch (CarpException ex) when (ex.Code == CarpErrorCode.InvalidAddress)
        {
            return CarpErrors.Refusal(CarpErrorCode.InvalidAddress, ex.Message, Advice, ex);
        }

        return null;
    }
}
