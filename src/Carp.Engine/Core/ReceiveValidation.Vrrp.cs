using System.Net.Sockets;
using Carp.Engine.Protocol;

namespace Carp.Engine.Core;

/// <summary>
/// The checks of a received VRRPv3 advert (RFC 5798 §7.1; docs/protocol.md#vrrp-receive-checks), counted in the same
/// carpstats counters as CARP's: the two protocols share IP protocol 112 and the version nibble tells them apart.
/// </summary>
internal sealed partial class ReceiveValidation
{
    private bool TryAcceptVrrp(CarpDevice device, ReadOnlySpan<byte> frame, CarpFrame carp, ReadOnlySpan<byte> payload, CarpSysctls sysctls, out Accepted accepted)
    {
        accepted = default;
        if (!VrrpCodec.TryRead(payload, out var advert))
        {
            return Drop(sysctls, CarpStatistic.BadLen, device, 0, "VRRP payload of {0} bytes, shorter than its 8-byte header", payload.Length);
        }

        var isV6 = carp.Family == AddressFamily.InterNetworkV6;
        var addressLength = isV6 ? 16 : 4;
        if (advert.AddressCount == 0 || payload.Length < VrrpCodec.Length(advert.AddressCount, addressLength))
        {
            return Drop(sysctls, CarpStatistic.BadLen, device, advert.Vrid, "VRRP payload of {0} bytes does not hold its address count", payload.Length);
        }

        var source = carp.Source(frame);
        var destination = frame.Slice(carp.DestinationOffset, carp.AddressLength);
        if (!VrrpCodec.IsChecksumValid(payload, source, destination, out _))
        {
            return Drop(sysctls, CarpStatistic.BadSum, device, advert.Vrid, "bad VRRP checksum");
        }

        var host = device[advert.Vrid];
        if (host is null || !host.Carries(carp.Family))
        {
            return Drop(sysctls, CarpStatistic.BadVhid, device, advert.Vrid, host is null ? "no such vhid here" : "vhid has no address of this family");
        }

        if (advert.Type != VrrpConstants.TypeAdvertisement)
        {
            return Drop(sysctls, CarpStatistic.BadVer, device, advert.Vrid, "VRRP type {0}, expected 1 (advertisement)", advert.Type);
        }

        if (carp.Ttl != CarpConstants.Ttl && !host.UsesUnicastPeer(carp.Family))
        {
            return Drop(sysctls, CarpStatistic.BadTtl, device, advert.Vrid, "TTL {0}, expected 255", carp.Ttl);
        }

        if (advert.Interval == 0)
        {
            return Drop(sysctls, CarpStatistic.BadVer, device, advert.Vrid, "advertisement interval 0");
        }

        if (device.IsOwnAddress(source))
        {
            return Drop(sysctls, CarpStatistic.BadAuth, device, advert.Vrid, "network loop detected (our own advert)");
        }

        // RFC 5798 §7.1: an address list that differs from ours is a misconfiguration; only the owner's (255) counts anyway.
        if (advert.Priority != VrrpConstants.OwnerPriority &&
            !host.VrrpAddressesMatch(VrrpCodec.Addresses(payload, advert.AddressCount, addressLength)))
        {
            return Drop(sysctls, CarpStatistic.BadAddrs, device, advert.Vrid, "the advert lists other virtual addresses than ours");
        }

        accepted = new Accepted(host, advert, carp.Family, source);
        return true;
    }
}
